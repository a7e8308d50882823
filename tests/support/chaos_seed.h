#pragma once

// chaos_seed: the seed of a chaos test's random choices (when to kill, whom, what next):
// CHAOS_SEED from the environment to repeat a run, else a fresh one. It is printed, so a
// failing run can be repeated with the same choices.

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>

namespace brook::testing {

inline uint64_t chaos_seed() {
    uint64_t seed = 0;
    if (const char* env = std::getenv("CHAOS_SEED"); env != nullptr && *env != '\0') {
        seed = std::strtoull(env, nullptr, 10);
    } else {
        seed = (static_cast<uint64_t>(std::random_device{}()) << 32) | std::random_device{}();
    }
    std::cout << "[ seed     ] " << seed << " (CHAOS_SEED=" << seed << " repeats this run)\n";
    return seed;
}

} // namespace brook::testing
