#include "sip_response.h"
