#pragma once

// infrastructure_failure: a mark on the exceptions Brook itself throws when something
// under a record failed (a store's disk, the broker, the producer, the configuration),
// as opposed to what a user's processor throws about a record. The processing exception
// handler (processing.exception.handler) decides about the latter only: skipping a record
// because a RocksDB write failed would lose it and leave the store broken.
//
// An empty, polymorphic base: catch std::exception and ask
// dynamic_cast<const infrastructure_failure*>. Lives in the lowest module so that every
// module's errors can carry it.

namespace brook {

class infrastructure_failure {
public:
    virtual ~infrastructure_failure() = default;
};

// Whether `e` is one of Brook's own failures rather than a user's.
template <class E>
bool is_infrastructure_failure(const E& e) {
    return dynamic_cast<const infrastructure_failure*>(&e) != nullptr;
}

} // namespace brook
