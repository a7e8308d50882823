#pragma once

// prometheus_writer: writes metrics in the Prometheus text exposition format, version
// 0.0.4 (what a /metrics route answers with Content-Type prometheus_content_type).
//
//   prometheus_writer w;
//   w.family("brook_records_consumed_total", prometheus_type::counter,
//            "Records read from each input topic.");
//   w.sample("brook_records_consumed_total", {{"topic", "orders"}}, 42);
//   w.family("brook_process_latency_seconds", prometheus_type::summary, "...");
//   w.sample("brook_process_latency_seconds_count", {}, 42);
//   w.sample("brook_process_latency_seconds_sum", {}, 0.017);
//   response.body = w.take();
//
// Every sample belongs to the family declared last (samples of one family must be
// adjacent): its name is the family's name, or for a summary also <name>_sum and
// <name>_count. The writer checks what would make a scrape fail: metric and label names
// (Prometheus' [a-zA-Z_:][a-zA-Z0-9_:]* and [a-zA-Z_][a-zA-Z0-9_]*, label names starting
// "__" are reserved), a family declared twice, a sample outside its family, and the same
// sample (name and labels) twice. It escapes label values (backslash, double quote,
// newline) and help text (backslash, newline). Misuse throws std::invalid_argument naming
// the metric; what was written before stays valid.
//
// Other components (a retry router, a publisher) write their own families into the
// writer an ops_endpoint hands them; merge() joins writers filled separately.
//
// Threading: none; one writer per scrape. Ownership: owns its text.

#include <concepts>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace brook {

inline constexpr std::string_view prometheus_content_type = "text/plain; version=0.0.4";

enum class prometheus_type { counter, gauge, summary, untyped };
const char* to_string(prometheus_type t);

// Label name and value; a sample's labels are written in the order given.
using prometheus_label = std::pair<std::string_view, std::string_view>;
using prometheus_labels = std::vector<prometheus_label>;

// A sample value: integers are written exactly (a uint64 counter past 2^53 stays exact),
// floating point in the shortest form that reads back the same; NaN and infinities as
// "NaN", "+Inf" and "-Inf".
class prometheus_value {
public:
    template <class T>
    requires std::integral<T> && std::is_signed_v<T> prometheus_value(T v)
        : _v(static_cast<int64_t>(v)) {}
    template <class T>
    requires std::integral<T> && std::is_unsigned_v<T> &&
        (!std::same_as<T, bool>)prometheus_value(T v)
        : _v(static_cast<uint64_t>(v)) {}
    template <std::floating_point T>
    prometheus_value(T v) : _v(static_cast<double>(v)) {}

    std::string str() const;

private:
    std::variant<int64_t, uint64_t, double> _v;
};

class prometheus_writer {
public:
    // Starts family `name`: writes its # HELP and # TYPE lines. Throws
    // std::invalid_argument for an invalid name or one declared already.
    prometheus_writer& family(std::string_view name, prometheus_type type, std::string_view help);

    // Writes one sample of the current family. Throws std::invalid_argument when no family
    // was declared, the name does not belong to it, a label name is invalid or repeated,
    // or the same name and labels were written before.
    prometheus_writer& sample(std::string_view name, const prometheus_labels& labels,
                              prometheus_value value);

    // Shorthand for a family with one unlabelled sample named like it.
    prometheus_writer& single(std::string_view name, prometheus_type type, std::string_view help,
                              prometheus_value value);

    // Appends what `other` wrote. Throws std::invalid_argument, appending nothing, when
    // both declared a family of the same name.
    void merge(prometheus_writer&& other);

    const std::string& text() const { return _text; }
    // The text, leaving the writer empty (families forgotten).
    std::string take();

    static bool valid_metric_name(std::string_view name);
    static bool valid_label_name(std::string_view name);
    // A label value as it goes between the quotes.
    static std::string escape_label_value(std::string_view value);
    // Help text as it goes after "# HELP <name> ".
    static std::string escape_help(std::string_view help);

private:
    std::string _text;
    std::set<std::string, std::less<>> _families;
    std::string _current;
    prometheus_type _current_type = prometheus_type::untyped;
    // Series (name and rendered labels) of the current family; cleared with each family.
    std::set<std::string, std::less<>> _series;
};

} // namespace brook
