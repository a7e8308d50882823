#pragma once

// process_id: a random identifier kept in <state.dir>/<application.id>/brook.process-id,
// made on first start and read back afterwards, as Kafka Streams keeps its process id.
// It names the instance in transactional ids ("<application.id>-<process id>-<thread>"),
// so that an instance restarted on the same state directory takes over (and fences) its
// own earlier producers, while two instances never share an id.
//
// Throws state::state_error when the directory or file cannot be created or read.

#include <filesystem>
#include <string>

namespace brook {

std::string load_or_create_process_id(const std::filesystem::path& application_state_dir);

} // namespace brook
