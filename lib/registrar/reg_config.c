#include "reg_config.h"
