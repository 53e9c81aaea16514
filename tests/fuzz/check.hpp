// What every fuzz target uses to state a property: a broken one prints what broke
// and traps, so libFuzzer saves the input and the run fails like on a crash.
#pragma once

#include <cstdio>

#define FUZZ_CHECK(condition)                                                                 \
  do {                                                                                        \
    if (!(condition)) {                                                                       \
      std::fprintf(stderr, "property broken at %s:%d: %s\n", __FILE__, __LINE__, #condition); \
      __builtin_trap();                                                                       \
    }                                                                                         \
  } while (0)
