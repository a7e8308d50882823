#pragma once

// get_store<Store>(): how a processor (or a test) gets a typed store by name:
//
//   void init(context_type& context) override {
//       _counts = &get_store<timestamped_key_value_store<std::string, int64_t>>(context,
//                                                                             "counts");
//   }
//
//   auto& store = get_store<key_value_store<std::string, int64_t>>(driver.state_store("s"));
//
// Store is one of the typed interfaces (key_value_store<K, V>, window_store<K, V>,
// session_store<K, V> and their timestamped_ aliases) with the key and value types the store
// was built with. Throws topology_error naming the store when there is no such store for
// the processor's task (the store is not connected to it) or when the store has other
// types; the message names both the requested and the actual type.

#include <string>
#include <string_view>
#include <typeinfo>

#include <fmt/format.h>

#include "engine/errors.h"
#include "engine/processor/processor.h"
#include "state/state_store.h"

namespace brook {

namespace detail {
// A readable C++ name for a type_info (demangled, std::string spelled so). Defined in
// get_store.cc.
std::string readable_type_name(const std::type_info& type);
} // namespace detail

template <class Store>
Store& get_store(state::state_store& store) {
    static_assert(std::is_base_of_v<state::state_store, Store>,
                  "get_store: ask for a typed store interface such as key_value_store<K, V>, "
                  "window_store<K, V> or session_store<K, V>");
    if (auto* typed = dynamic_cast<Store*>(&store)) {
        return *typed;
    }
    throw topology_error(fmt::format(
        "store '{}' is a {}, not a {}: ask for it with the key and value types it was built "
        "with (the DSL's aggregations and tables keep timestamped stores: "
        "timestamped_key_value_store<K, V> and timestamped_window_store<K, V>)",
        store.name(), detail::readable_type_name(typeid(store)),
        detail::readable_type_name(typeid(Store))));
}

template <class Store>
Store& get_store(processor_task& task, std::string_view name) {
    return get_store<Store>(task.store(name));
}

template <class Store, class KOut, class VOut>
Store& get_store(processor_context<KOut, VOut>& context, std::string_view name) {
    return get_store<Store>(context.store(name));
}

} // namespace brook
