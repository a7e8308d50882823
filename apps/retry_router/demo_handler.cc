#include "apps/retry_router/demo_handler.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "apps/common/json_fields.h"

namespace brook::apps {

namespace {

constexpr uint64_t max_fail_attempts = 1'000'000;

} // namespace

nullable_bytes demo_event_serde::serialize(const demo_event& e, std::string& buffer) const {
    nlohmann::json doc = {{"id", e.id}};
    if (e.fail_attempts != 0) {
        doc["fail_attempts"] = e.fail_attempts;
    }
    if (e.poison) {
        doc["poison"] = true;
    }
    if (e.event_type) {
        doc["event_type"] = *e.event_type;
    }
    buffer = doc.dump();
    return std::string_view(buffer);
}

demo_event demo_event_serde::deserialize(nullable_bytes in) const {
    if (!in) {
        throw serde_error("the value is null: expected a JSON object with an \"id\"");
    }
    nlohmann::json doc;
    std::string error;
    // The apps' one JSON reader: the whole value, at most max_json_depth levels deep.
    if (!parse_json_object(*in, doc, error)) {
        throw serde_error("the " + error);
    }
    demo_event e;
    const auto id = doc.find("id");
    if (id == doc.end() || !id->is_string() || id->get_ref<const std::string&>().empty()) {
        throw serde_error("\"id\" must be a non-empty string");
    }
    e.id = id->get<std::string>();
    if (const auto n = doc.find("fail_attempts"); n != doc.end()) {
        // nlohmann reads every integer >= 0 as unsigned: this refuses negatives and fractions.
        if (!n->is_number_unsigned() || n->get<uint64_t>() > max_fail_attempts) {
            throw serde_error(fmt::format("\"fail_attempts\" must be an integer from 0 to {}",
                                          max_fail_attempts));
        }
        e.fail_attempts = static_cast<int64_t>(n->get<uint64_t>());
    }
    if (const auto p = doc.find("poison"); p != doc.end()) {
        if (!p->is_boolean()) {
            throw serde_error("\"poison\" must be true or false");
        }
        e.poison = p->get<bool>();
    }
    if (const auto t = doc.find("event_type"); t != doc.end()) {
        if (!t->is_string() || t->get_ref<const std::string&>().empty()) {
            throw serde_error("\"event_type\" must be a non-empty string");
        }
        e.event_type = t->get<std::string>();
    }
    return e;
}

retry_outcome<demo_event> demo_handler(const demo_key& /*key*/, const demo_event& event,
                                       const retry_attempt& attempt) {
    if (event.poison) {
        return retry_outcome<demo_event>::fail(fmt::format("event {} is poison", event.id));
    }
    if (attempt.attempt <= event.fail_attempts) {
        return retry_outcome<demo_event>::retry(
            fmt::format("event {}: attempt {} of the {} that fail on purpose", event.id,
                        attempt.attempt, event.fail_attempts));
    }
    return retry_outcome<demo_event>::success();
}

std::optional<std::string> demo_event_type(const demo_event& event) {
    return event.event_type;
}

} // namespace brook::apps
