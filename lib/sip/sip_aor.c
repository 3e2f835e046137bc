#include "sip_aor.h"
