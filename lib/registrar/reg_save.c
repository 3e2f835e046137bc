#include "registrar.h"
