#pragma once

// metric_reader: reads one metrics input value in a single pass over its JSON text, with
// nlohmann's SAX parser: the fields the metric needs are kept as the parser meets them,
// "tags" is built as a document (it is kept whole), and everything else is skipped, so no
// document of the whole value is ever built. parse_metric() calls it for every record;
// about a third of the metrics thread went into building and searching that document.
//
// Same answers as reading a document: nlohmann's lexer and parser run either way, so a
// parse error has the same message; a key given twice counts with its last value, as a
// document keeps it; the checks after the parse run in the same order on the same values.
// parse_metric_with_document() keeps the document reading as the reference the unit tests,
// the fuzz harness and the benchmark hold this one against.
//
// Threading: none; one reader per call.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace brook::apps {

// What the reader learnt of one top-level field the metric uses.
struct metric_field {
    enum class kind {
        absent,
        null,
        boolean,
        integer,
        unsigned_integer,
        floating,
        string,
        array,
        object
    };
    kind type = kind::absent;
    std::string text;    // kind::string
    int64_t integer = 0; // kind::integer (nlohmann's reading of a negative integer)
    uint64_t unsigned_integer = 0;
    double floating = 0;

    bool is_number() const {
        return type == kind::integer || type == kind::unsigned_integer || type == kind::floating;
    }
    // The number as a double, as nlohmann's get<double>() converts it.
    double as_double() const;
};

// The fields of one metrics input value, filled by nlohmann::json::sax_parse.
class metric_reader {
public:
    using json = nlohmann::json;
    using number_integer_t = json::number_integer_t;
    using number_unsigned_t = json::number_unsigned_t;
    using number_float_t = json::number_float_t;
    using string_t = json::string_t;
    using binary_t = json::binary_t;

    metric_field name, host, value, ts, unit, tags_field;
    json tags = json::object(); // "tags" when it is an object
    bool top_level_object = false;
    std::string error_message; // nlohmann's message, when the text is not JSON

    // The SAX interface (nlohmann's json_sax): each returns false to stop the parse.
    bool null();
    bool boolean(bool v);
    bool number_integer(number_integer_t v);
    bool number_unsigned(number_unsigned_t v);
    bool number_float(number_float_t v, const string_t& text);
    bool string(string_t& v);
    bool binary(binary_t& v);
    bool start_object(std::size_t elements);
    bool key(string_t& k);
    bool end_object();
    bool start_array(std::size_t elements);
    bool end_array();
    bool parse_error(std::size_t position, const std::string& last_token,
                     const nlohmann::detail::exception& e);

private:
    // The field a top-level value goes to, or nullptr for one the metric does not use.
    metric_field* field_of_key();
    // A scalar at the top level's fields, or inside "tags".
    template <class T>
    bool scalar(metric_field::kind type, T&& v);
    void add_to_tags(json v);
    // An object or array opened inside "tags": added, and the one the next values go to.
    void open_in_tags(json container);
    // The end of any object or array.
    void close_container();

    size_t _depth = 0;     // open objects and arrays
    std::string _key;      // the last top-level key
    bool _in_tags = false; // building "tags" (at depth >= 2)
    std::vector<json*> _tags_stack;
    std::vector<std::string> _tags_keys; // per open object inside tags: its last key
};

} // namespace brook::apps
