#pragma once

// Reading Java .properties files, the format Kafka Streams applications keep their
// configuration in, so that a Kafka Streams user's file works with Brook unchanged.
//
// The syntax is java.util.Properties.load()'s: `#` and `!` comment lines; `key=value`,
// `key: value` or `key value`; leading whitespace trimmed; a line ending in an odd number
// of backslashes continues on the next one; escapes \t \n \r \f \uXXXX, and a backslash
// before any other character stands for that character (\\ \= \: \# \! \ ). \uXXXX is
// written out as UTF-8 (a surrogate pair becomes one code point); other bytes pass through
// unchanged, so files are read as UTF-8. A later duplicate key replaces an earlier one.
//
// Sizes are bounded so that no file can make start-up slow or memory-hungry: the text
// (and a file) at most max_properties_bytes, at most max_properties_lines natural lines,
// and a logical line (continuations joined) at most max_property_line_bytes. A real
// configuration is a few KB; the largest values in practice are PEM certificate bundles
// (ssl.ca.pem, a few hundred KB). Past a bound, config_error names the source (and line).
//
// Free functions without state; safe to call from any thread.

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace brook {

inline constexpr std::size_t max_properties_bytes = std::size_t{8} << 20;
inline constexpr std::size_t max_properties_lines = 100'000;
inline constexpr std::size_t max_property_line_bytes = std::size_t{2} << 20;

// One key=value pair of a properties file, with the line it starts on, so that errors
// found later (an unknown key, a bad value) can point the user at that line.
struct property_entry {
    std::string key;
    std::string value;
    int line = 0; // 1-based line of the file where the entry starts
};

// Parses .properties text into its entries, in file order, duplicates kept.
// source_name is only used in error messages (a file name, "<stdin>", ...).
// Throws config_error naming source_name and the line on a malformed \u escape, an
// unpaired UTF-16 surrogate or a size past the bounds above.
std::vector<property_entry> parse_property_entries(std::string_view text,
                                                   std::string_view source_name);

// Parses .properties text into a map; a later duplicate key wins.
// Throws config_error as parse_property_entries does.
std::map<std::string, std::string> parse_properties(std::string_view text,
                                                    std::string_view source_name);

// Reads and parses the file at path; a leading UTF-8 byte order mark is skipped.
// Throws config_error naming the file when it cannot be read, is larger than
// max_properties_bytes (read no further: /dev/zero or a pipe cannot exhaust memory) or
// does not parse.
std::vector<property_entry> load_property_entries(const std::filesystem::path& path);

// Reads and parses the file at path into a map; a later duplicate key wins.
// Throws config_error naming the file when it cannot be read or does not parse.
std::map<std::string, std::string> load_properties_file(const std::filesystem::path& path);

} // namespace brook
