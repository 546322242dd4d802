// libbabeltrace2 for Swift (the LTTngReader target, through the CBabeltrace2Shim C target).
#ifndef KSLEUTH_CBABELTRACE2_SHIM_H
#define KSLEUTH_CBABELTRACE2_SHIM_H
#include <babeltrace2/babeltrace.h>
#endif
