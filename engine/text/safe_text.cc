#include "engine/text/safe_text.h"

#include <fmt/format.h>

namespace brook::text {

namespace {

// Length of the well-formed UTF-8 sequence at s[i], or 0 when there is none.
size_t sequence_length(std::string_view s, size_t i) {
    const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
    const unsigned char c = b(0);
    if (c < 0x80) {
        return 1;
    }
    const auto cont = [&](size_t k) { return i + k < s.size() && (b(k) & 0xC0U) == 0x80U; };
    if (c >= 0xC2 && c <= 0xDF) {
        return cont(1) ? 2 : 0;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        if (!cont(1) || !cont(2)) {
            return 0;
        }
        if ((c == 0xE0 && b(1) < 0xA0) || (c == 0xED && b(1) >= 0xA0)) {
            return 0; // overlong, or a UTF-16 surrogate
        }
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (!cont(1) || !cont(2) || !cont(3)) {
            return 0;
        }
        if ((c == 0xF0 && b(1) < 0x90) || (c == 0xF4 && b(1) >= 0x90)) {
            return 0; // overlong, or past U+10FFFF
        }
        return 4;
    }
    return 0;
}

} // namespace

bool is_valid_utf8(std::string_view s) {
    for (size_t i = 0; i < s.size();) {
        const size_t n = sequence_length(s, i);
        if (n == 0) {
            return false;
        }
        i += n;
    }
    return true;
}

std::string safe(std::string_view raw, size_t limit) {
    std::string out;
    out.reserve(std::min(raw.size(), limit) + 16);
    size_t i = 0;
    while (i < raw.size()) {
        const size_t n = sequence_length(raw, i);
        std::string piece;
        if (n == 0) {
            piece = fmt::format("\\x{:02X}", static_cast<unsigned char>(raw[i]));
        } else if (n == 1) {
            const char c = raw[i];
            switch (c) {
            case '\n':
                piece = "\\n";
                break;
            case '\r':
                piece = "\\r";
                break;
            case '\t':
                piece = "\\t";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
                    piece = fmt::format("\\u{:04X}", static_cast<unsigned char>(c));
                } else {
                    piece.assign(1, c);
                }
            }
        } else {
            piece.assign(raw.substr(i, n));
        }
        if (out.size() + piece.size() > limit) {
            out += fmt::format("... ({} bytes in all)", raw.size());
            return out;
        }
        out += piece;
        i += n == 0 ? 1 : n;
    }
    return out;
}

} // namespace brook::text
