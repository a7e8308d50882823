#pragma once

// The word count: lines in (any key), one running count per lower-case word out, keyed
// by the word, as 8-byte big-endian numbers (Kafka's LongSerializer).

#include <brook/brook.h>
#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

inline brook::topology word_count_topology(const std::string& lines, const std::string& counts) {
    using namespace brook;
    stream_builder builder;
    builder.stream<std::string, std::string>({lines})
        .flat_map_values([](const std::string& line) {
            std::vector<std::string> words(1);
            for (const char c : line) {
                if (std::isalnum(static_cast<unsigned char>(c))) {
                    words.back().push_back(
                        static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
                } else if (!words.back().empty()) {
                    words.emplace_back();
                }
            }
            if (words.back().empty()) {
                words.pop_back();
            }
            return words;
        })
        .group_by([](const std::string&, const std::string& word) { return word; })
        .count()
        .to_stream()
        .to(counts);
    return builder.build();
}
