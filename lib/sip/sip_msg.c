#include "sip_msg.h"
