#include "aor_table.h"
