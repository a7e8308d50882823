#include "apps/metrics/metric_reader.h"

#include <utility>

namespace brook::apps {

double metric_field::as_double() const {
    switch (type) {
    case kind::integer:
        return static_cast<double>(integer);
    case kind::unsigned_integer:
        return static_cast<double>(unsigned_integer);
    case kind::floating:
        return floating;
    default:
        return 0;
    }
}

metric_field* metric_reader::field_of_key() {
    if (!top_level_object || _depth != 1) {
        return nullptr;
    }
    if (_key == "name") {
        return &name;
    }
    if (_key == "host") {
        return &host;
    }
    if (_key == "value") {
        return &value;
    }
    if (_key == "ts") {
        return &ts;
    }
    if (_key == "unit") {
        return &unit;
    }
    if (_key == "tags") {
        return &tags_field;
    }
    return nullptr;
}

void metric_reader::add_to_tags(json v) {
    json& into = *_tags_stack.back();
    if (into.is_object()) {
        into[_tags_keys.back()] = std::move(v); // a repeated key keeps its last value
    } else {
        into.push_back(std::move(v));
    }
}

void metric_reader::open_in_tags(json container) {
    add_to_tags(std::move(container));
    json& parent = *_tags_stack.back();
    json& added = parent.is_object() ? parent[_tags_keys.back()] : parent.back();
    _tags_stack.push_back(&added);
    _tags_keys.emplace_back();
}

void metric_reader::close_container() {
    --_depth;
    if (_in_tags) {
        _tags_stack.pop_back();
        _tags_keys.pop_back();
        _in_tags = !_tags_stack.empty();
    }
}

template <class T>
bool metric_reader::scalar(metric_field::kind type, T&& v) {
    if (_in_tags) {
        add_to_tags(json(std::forward<T>(v)));
        return true;
    }
    if (metric_field* f = field_of_key()) {
        *f = metric_field{};
        f->type = type;
        if constexpr (std::is_same_v<std::remove_cvref_t<T>, std::string>) {
            f->text = std::forward<T>(v);
        } else if constexpr (std::is_same_v<std::remove_cvref_t<T>, number_integer_t>) {
            f->integer = v;
        } else if constexpr (std::is_same_v<std::remove_cvref_t<T>, number_unsigned_t>) {
            f->unsigned_integer = v;
        } else if constexpr (std::is_same_v<std::remove_cvref_t<T>, number_float_t>) {
            f->floating = v;
        }
    }
    return true;
}

bool metric_reader::null() {
    return scalar(metric_field::kind::null, nullptr);
}

bool metric_reader::boolean(bool v) {
    return scalar(metric_field::kind::boolean, v);
}

bool metric_reader::number_integer(number_integer_t v) {
    return scalar(metric_field::kind::integer, v);
}

bool metric_reader::number_unsigned(number_unsigned_t v) {
    return scalar(metric_field::kind::unsigned_integer, v);
}

bool metric_reader::number_float(number_float_t v, const string_t& /*text*/) {
    return scalar(metric_field::kind::floating, v);
}

bool metric_reader::string(string_t& v) {
    return scalar(metric_field::kind::string, std::move(v));
}

bool metric_reader::binary(binary_t& /*v*/) {
    return true; // never called for JSON text
}

bool metric_reader::start_object(std::size_t /*elements*/) {
    if (_in_tags) {
        open_in_tags(json::object());
    } else if (_depth == 0) {
        top_level_object = true;
    } else if (metric_field* f = field_of_key()) {
        *f = metric_field{};
        f->type = metric_field::kind::object;
        if (f == &tags_field) {
            tags = json::object(); // a repeated "tags" keeps its last value
            _in_tags = true;
            _tags_stack.assign(1, &tags);
            _tags_keys.assign(1, std::string());
        }
    }
    ++_depth;
    return true;
}

bool metric_reader::key(string_t& k) {
    if (_in_tags) {
        _tags_keys.back() = std::move(k);
    } else if (_depth == 1) {
        _key = std::move(k);
    }
    return true;
}

bool metric_reader::end_object() {
    close_container();
    return true;
}

bool metric_reader::start_array(std::size_t /*elements*/) {
    if (_in_tags) {
        open_in_tags(json::array());
    } else if (metric_field* f = field_of_key(); f != nullptr && _depth == 1) {
        *f = metric_field{};
        f->type = metric_field::kind::array;
    }
    ++_depth;
    return true;
}

bool metric_reader::end_array() {
    close_container();
    return true;
}

bool metric_reader::parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                                const nlohmann::detail::exception& e) {
    error_message = e.what();
    return false;
}

} // namespace brook::apps
