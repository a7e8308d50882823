// Fuzzes brook::parse_property_entries, the reader of Java .properties text (a user's
// configuration file).
//
// Invariants: parsing either returns entries or throws config_error; entries come in file
// order with line numbers that start at 1 and never go back; the map form keeps the last
// value of each key; and every entry, written back as .properties text with every special
// character escaped, parses to the same keys and values in the same order.

#include "engine/config/properties_file.h"

#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "engine/errors.h"
#include "fuzz/fuzz_support.h"

namespace {

using namespace brook;

// `s` as .properties text that reads back as `s`, in a key or a value.
std::string escaped(std::string_view s) {
    std::string out;
    for (const char c : s) {
        switch (c) {
        case '\\':
            out += "\\\\";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\f':
            out += "\\f";
            break;
        case ' ':
        case '=':
        case ':':
        case '#':
        case '!':
            out += '\\';
            out += c;
            break;
        default:
            out += c;
        }
    }
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text = fuzz::as_text(data, size);
    std::vector<property_entry> entries;
    try {
        entries = parse_property_entries(text, "fuzz.properties");
    } catch (const config_error& e) {
        FUZZ_CHECK(std::string_view(e.what()).starts_with("fuzz.properties"), e.what());
        return 0;
    }
    int last_line = 1;
    std::string written;
    for (const property_entry& e : entries) {
        FUZZ_CHECK(e.line >= last_line, fmt::format("line {} after {}", e.line, last_line));
        last_line = e.line;
        written += escaped(e.key) + "=" + escaped(e.value) + "\n";
    }
    std::map<std::string, std::string> expected;
    for (const property_entry& e : entries) {
        expected[e.key] = e.value;
    }
    FUZZ_CHECK(parse_properties(text, "fuzz.properties") == expected, "map form");

    std::vector<property_entry> again;
    try {
        again = parse_property_entries(written, "written.properties");
    } catch (const config_error& e) {
        fuzz::fail("written text parses", __FILE__, __LINE__,
                   fmt::format("{}: {}", e.what(), fuzz::excerpt(written)));
    }
    FUZZ_CHECK(again.size() == entries.size(),
               fmt::format("{} entries, {} after writing: {}", entries.size(), again.size(),
                           fuzz::excerpt(written)));
    for (size_t i = 0; i < again.size(); ++i) {
        FUZZ_CHECK(again[i].key == entries[i].key && again[i].value == entries[i].value,
                   fmt::format("entry {}: '{}'='{}' became '{}'='{}'", i,
                               fuzz::excerpt(entries[i].key), fuzz::excerpt(entries[i].value),
                               fuzz::excerpt(again[i].key), fuzz::excerpt(again[i].value)));
        FUZZ_CHECK(again[i].line == static_cast<int>(i) + 1, "one line per entry");
    }
    return 0;
}
