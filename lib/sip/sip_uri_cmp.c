#include "sip_uri_cmp.h"
