#pragma once

// <brook/json.h>: JSON keys and values through nlohmann::json: json_serde<T>, and the
// default serde of nlohmann::json and of every type with to_json/from_json. Apart from
// <brook/brook.h> so that a topology without JSON does not compile nlohmann's header.

#include "engine/serde/json_serde.h"
