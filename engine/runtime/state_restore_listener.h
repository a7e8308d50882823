#pragma once

// state_restore_listener: told when a store's restore from its changelog starts, after
// each batch, and when it ends, as Kafka Streams' StateRestoreListener. Applications use
// it for progress output; tests use it to count what was restored.
//
// Threading: called from the stream threads doing the restore, possibly several at once:
// implementations must be thread-safe and must not block.

#include <cstdint>
#include <string>

namespace brook {

class state_restore_listener {
public:
    virtual ~state_restore_listener() = default;
    // Restore of `store` will read changelog `topic`-`partition` from `start_offset` up to
    // (not including) `end_offset`. Called also when nothing is left to read (start == end).
    virtual void on_restore_start(const std::string& topic, int32_t partition,
                                  const std::string& store, int64_t start_offset,
                                  int64_t end_offset) = 0;
    // `count` more records were applied; `batch_end_offset` is the offset of the last one.
    virtual void on_batch_restored(const std::string& topic, int32_t partition,
                                   const std::string& store, int64_t batch_end_offset,
                                   int64_t count) = 0;
    virtual void on_restore_end(const std::string& topic, int32_t partition,
                                const std::string& store, int64_t total_restored) = 0;
};

} // namespace brook
