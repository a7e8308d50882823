#include "ops/prometheus_text.h"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace brook {

const char* to_string(prometheus_type t) {
    switch (t) {
    case prometheus_type::counter:
        return "counter";
    case prometheus_type::gauge:
        return "gauge";
    case prometheus_type::summary:
        return "summary";
    case prometheus_type::untyped:
        return "untyped";
    }
    return "untyped";
}

std::string prometheus_value::str() const {
    if (const auto* i = std::get_if<int64_t>(&_v)) {
        return std::to_string(*i);
    }
    if (const auto* u = std::get_if<uint64_t>(&_v)) {
        return std::to_string(*u);
    }
    const double d = std::get<double>(_v);
    if (std::isnan(d)) {
        return "NaN";
    }
    if (std::isinf(d)) {
        return d > 0 ? "+Inf" : "-Inf";
    }
    // fmt's default is the shortest representation that reads back exactly.
    return fmt::format("{}", d);
}

namespace {

bool name_start(char c, bool colon) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
}

bool name_char(char c, bool colon) {
    return name_start(c, colon) || (c >= '0' && c <= '9');
}

bool valid_name(std::string_view name, bool colon) {
    if (name.empty() || !name_start(name.front(), colon)) {
        return false;
    }
    for (const char c : name) {
        if (!name_char(c, colon)) {
            return false;
        }
    }
    return true;
}

} // namespace

bool prometheus_writer::valid_metric_name(std::string_view name) {
    return valid_name(name, true);
}

bool prometheus_writer::valid_label_name(std::string_view name) {
    return valid_name(name, false) && !name.starts_with("__");
}

std::string prometheus_writer::escape_label_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (const char c : value) {
        switch (c) {
        case '\\':
            out += "\\\\";
            break;
        case '"':
            out += "\\\"";
            break;
        case '\n':
            out += "\\n";
            break;
        default:
            out += c;
        }
    }
    return out;
}

std::string prometheus_writer::escape_help(std::string_view help) {
    std::string out;
    out.reserve(help.size());
    for (const char c : help) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

prometheus_writer& prometheus_writer::family(std::string_view name, prometheus_type type,
                                             std::string_view help) {
    if (!valid_metric_name(name)) {
        throw std::invalid_argument(fmt::format(
            "'{}' is not a valid Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)", name));
    }
    if (_families.contains(name)) {
        throw std::invalid_argument(
            fmt::format("metric family '{}' is written twice; write each family once", name));
    }
    _families.emplace(name);
    _current = std::string(name);
    _current_type = type;
    _series.clear();
    // An empty help has no trailing blank: some parsers read a blank as the start of text.
    _text += fmt::format("# HELP {}{}{}\n# TYPE {} {}\n", name, help.empty() ? "" : " ",
                         escape_help(help), name, to_string(type));
    return *this;
}

prometheus_writer& prometheus_writer::sample(std::string_view name, const prometheus_labels& labels,
                                             prometheus_value value) {
    if (_current.empty()) {
        throw std::invalid_argument(
            fmt::format("sample '{}' has no family: call family() before sample()", name));
    }
    bool belongs = name == _current;
    if (!belongs && _current_type == prometheus_type::summary && name.starts_with(_current)) {
        const std::string_view suffix = name.substr(_current.size());
        belongs = suffix == "_sum" || suffix == "_count";
    }
    if (!belongs) {
        throw std::invalid_argument(
            fmt::format("sample '{}' does not belong to family '{}': declare its own family first",
                        name, _current));
    }
    std::string series(name);
    if (!labels.empty()) {
        series += '{';
        for (size_t i = 0; i < labels.size(); ++i) {
            const auto& [label, label_value] = labels[i];
            if (!valid_label_name(label)) {
                throw std::invalid_argument(fmt::format(
                    "sample '{}': '{}' is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*, not "
                    "starting with \"__\")",
                    name, label));
            }
            for (size_t j = 0; j < i; ++j) {
                if (labels[j].first == label) {
                    throw std::invalid_argument(
                        fmt::format("sample '{}': label '{}' is given twice", name, label));
                }
            }
            if (i > 0) {
                series += ',';
            }
            series += fmt::format("{}=\"{}\"", label, escape_label_value(label_value));
        }
        series += '}';
    }
    if (!_series.insert(series).second) {
        throw std::invalid_argument(
            fmt::format("sample {} is written twice; each series once per scrape", series));
    }
    _text += series;
    _text += ' ';
    _text += value.str();
    _text += '\n';
    return *this;
}

prometheus_writer& prometheus_writer::single(std::string_view name, prometheus_type type,
                                             std::string_view help, prometheus_value value) {
    family(name, type, help);
    return sample(name, {}, value);
}

void prometheus_writer::merge(prometheus_writer&& other) {
    for (const auto& f : other._families) {
        if (_families.contains(f)) {
            throw std::invalid_argument(
                fmt::format("metric family '{}' is written by two sources; rename one", f));
        }
    }
    _families.merge(other._families);
    _text += other._text;
    // A sample may no longer follow: the last family is now the other writer's.
    _current.clear();
    _series.clear();
    other._text.clear();
    other._families.clear();
}

std::string prometheus_writer::take() {
    std::string out = std::move(_text);
    _text.clear();
    _families.clear();
    _current.clear();
    _series.clear();
    return out;
}

} // namespace brook
