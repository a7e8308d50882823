#include "state/store_stacks.h"

#include <utility>

#include "state/caching_key_value_store.h"
#include "state/caching_session_store.h"
#include "state/caching_window_store.h"
#include "state/in_memory_key_value_store.h"
#include "state/in_memory_session_store.h"
#include "state/in_memory_window_store.h"
#include "state/logging_key_value_store.h"
#include "state/logging_session_store.h"
#include "state/logging_window_store.h"
#include "state/rocksdb_key_value_store.h"
#include "state/rocksdb_session_store.h"
#include "state/rocksdb_window_store.h"

namespace brook::state {

std::unique_ptr<key_value_store> make_key_value_stack(std::string name, store_type type,
                                                      bool caching, bool logging) {
    std::unique_ptr<key_value_store> store;
    if (type == store_type::rocksdb) {
        store = std::make_unique<rocksdb_key_value_store>(std::move(name));
    } else {
        store = std::make_unique<in_memory_key_value_store>(std::move(name));
    }
    if (logging) {
        store = std::make_unique<logging_key_value_store>(std::move(store));
    }
    if (caching) {
        store = std::make_unique<caching_key_value_store>(std::move(store));
    }
    return store;
}

std::unique_ptr<window_store> make_window_stack(std::string name, store_type type,
                                                int64_t retention_ms, int64_t segment_interval_ms,
                                                bool caching, bool logging) {
    std::unique_ptr<window_store> store;
    if (type == store_type::rocksdb) {
        store = std::make_unique<rocksdb_window_store>(std::move(name), retention_ms,
                                                       segment_interval_ms);
    } else {
        store = std::make_unique<in_memory_window_store>(std::move(name), retention_ms,
                                                         segment_interval_ms);
    }
    if (logging) {
        store = std::make_unique<logging_window_store>(std::move(store));
    }
    if (caching) {
        store = std::make_unique<caching_window_store>(std::move(store), segment_interval_ms);
    }
    return store;
}

std::unique_ptr<session_store> make_session_stack(std::string name, store_type type,
                                                  int64_t retention_ms, int64_t segment_interval_ms,
                                                  bool caching, bool logging) {
    std::unique_ptr<session_store> store;
    if (type == store_type::rocksdb) {
        store = std::make_unique<rocksdb_session_store>(std::move(name), retention_ms,
                                                        segment_interval_ms);
    } else {
        store = std::make_unique<in_memory_session_store>(std::move(name), retention_ms,
                                                          segment_interval_ms);
    }
    if (logging) {
        store = std::make_unique<logging_session_store>(std::move(store));
    }
    if (caching) {
        store = std::make_unique<caching_session_store>(std::move(store), segment_interval_ms);
    }
    return store;
}

} // namespace brook::state
