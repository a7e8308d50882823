#pragma once

// in_memory_key_value_store: a key_value_store on a std::map, for tests and for state
// that is cheap to rebuild. Owned by its task; single-threaded.

#include <map>
#include <string>

#include "state/key_value_store.h"

namespace brook::state {

class in_memory_key_value_store final : public key_value_store {
public:
    explicit in_memory_key_value_store(std::string name) : _name(std::move(name)) {}

    const std::string& name() const override { return _name; }
    void flush() override {}
    void close() override { _data.clear(); }

    std::optional<std::string> get(std::string_view key) override;
    void put(std::string_view key, std::string_view value) override;
    void remove(std::string_view key) override;
    void range(std::string_view from, std::string_view to,
               const std::function<bool(std::string_view, std::string_view)>& visit) override;
    size_t approximate_size() override { return _data.size(); }

private:
    std::string _name;
    std::map<std::string, std::string, std::less<>> _data;
};

} // namespace brook::state
