/*
 * repl_slot.h - Redis Cluster key slots (CRC16 of the hash tag, mod 16384).
 *
 * The Redis Cluster specification maps every key to one of 16384 slots:
 * CRC16 (the XMODEM variant: polynomial 0x1021, initial value 0, no
 * reflection) of the key, or, when the key holds a hash tag, of the tag
 * only. The tag is the text between the first '{' and the first '}' after
 * it, if that text is not empty. sipreg puts each AoR in a tag
 * (docs/REPLICATION.md) so that whatever keys an AoR has land on one slot.
 * Pure functions, no I/O.
 */
#ifndef SR_REPL_SLOT_H
#define SR_REPL_SLOT_H

#include <stddef.h>
#include <stdint.h>

#define SR_REPL_SLOTS 16384

uint16_t sr_repl_crc16(const void *buf, size_t len);

/* The part of the key that is hashed (the tag, else the whole key). */
void sr_repl_hash_part(const char *key, size_t len, const char **part, size_t *part_len);

/* The cluster slot of a key (0 .. SR_REPL_SLOTS - 1). */
uint16_t sr_repl_key_slot(const char *key, size_t len);

#endif
