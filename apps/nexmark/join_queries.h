#pragma once

// The Nexmark queries that join (q3, q4, q6 and q8), as queries.h lists them: internal to
// apps/nexmark, which builds them through build_query().

#include <chrono>
#include <string>

#include "apps/nexmark/queries.h"

namespace brook {
class stream_builder;
}

namespace brook::apps::nexmark {

void build_q3(stream_builder& builder, const input_topics& in, const std::string& output);
void build_q4(stream_builder& builder, const input_topics& in, const std::string& output,
              std::chrono::milliseconds grace);
void build_q6(stream_builder& builder, const input_topics& in, const std::string& output,
              std::chrono::milliseconds grace);
void build_q8(stream_builder& builder, const input_topics& in, const std::string& output,
              std::chrono::milliseconds grace);

} // namespace brook::apps::nexmark
