#include "engine/serde/partitioner.h"

#include <cstddef>
#include <stdexcept>
#include <string>

namespace brook {

namespace {

// Java masks every byte with 0xff before using it, so reading bytes as unsigned char gives
// the same words whatever the signedness of char. The arithmetic is done in uint32_t
// because Java's int multiply wraps silently while signed overflow in C++ is undefined;
// two's complement makes the bits identical, and `>>>` is a logical shift on uint32_t.
uint32_t byte_at(std::string_view data, std::size_t i) noexcept {
    return static_cast<unsigned char>(data[i]);
}

} // namespace

int32_t murmur2(std::string_view data) noexcept {
    constexpr uint32_t seed = 0x9747b28c;
    constexpr uint32_t m = 0x5bd1e995;
    constexpr int r = 24;

    // Java's length is an int; keys never approach 2 GiB, so the truncation never matters.
    const auto length = static_cast<uint32_t>(data.size());
    uint32_t h = seed ^ length;

    // Whole 4-byte words, little-endian.
    const std::size_t words_end = data.size() & ~std::size_t{3};
    for (std::size_t i = 0; i < words_end; i += 4) {
        uint32_t k = byte_at(data, i) | byte_at(data, i + 1) << 8 | byte_at(data, i + 2) << 16 |
                     byte_at(data, i + 3) << 24;
        k *= m;
        k ^= k >> r;
        k *= m;
        h *= m;
        h ^= k;
    }

    // The last 1-3 bytes; the cases fall through as in Java.
    switch (data.size() & 3) {
    case 3:
        h ^= byte_at(data, words_end + 2) << 16;
        [[fallthrough]];
    case 2:
        h ^= byte_at(data, words_end + 1) << 8;
        [[fallthrough]];
    case 1:
        h ^= byte_at(data, words_end);
        h *= m;
        break;
    default:
        break;
    }

    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return static_cast<int32_t>(h);
}

int32_t default_partition(std::string_view key_bytes, int32_t num_partitions) {
    if (num_partitions <= 0) {
        throw std::invalid_argument("default_partition needs a positive partition count, got " +
                                    std::to_string(num_partitions));
    }
    return to_positive(murmur2(key_bytes)) % num_partitions;
}

} // namespace brook
