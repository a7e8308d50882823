#pragma once

// Options of the joins (Kafka Streams' Joined and StreamJoined).
//
// joined: a stream-table join. The serdes are the stream side's, used when the stream must
// be repartitioned first (its key changed since it was last partitioned) and to buffer
// records during a grace period; `name` names the join node (and the repartition topic,
// "<name>-left-repartition"). `grace_period` (KIP-923; the table must be versioned, with a
// history retention at least as long) holds each stream record back until stream time
// has passed its timestamp plus the grace, in a logged store "<name>-Buffer", so that
// table updates that arrive a little late are still seen by the records they precede.
//
// stream_joined: a stream-stream join. The serdes write both sides' window stores (and
// repartition topics when a side's key changed); `name` names the nodes and stores
// ("<name>-this-join", "<name>-this-join-store", ...), `store_name` only the stores. The
// stores are RocksDB and logged unless set otherwise; they never cache, as in Kafka Streams.

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "engine/serde/serdes.h"
#include "engine/store/stores.h"

namespace brook {

enum class join_kind { inner, left, outer };

template <class K, class V, class KS = default_serde<K>, class VS = default_serde<V>>
struct joined {
    KS key_serde{};
    VS value_serde{};
    std::string name{};
    std::optional<std::chrono::milliseconds> grace_period{};
};

template <class K, class V, class VO, class KS = default_serde<K>, class VS = default_serde<V>,
          class VOS = default_serde<VO>>
struct stream_joined {
    KS key_serde{};
    VS value_serde{};
    VOS other_value_serde{};
    std::string name{};
    std::string store_name{};
    store_type type = store_type::rocksdb;
    bool logging = true;
    std::map<std::string, std::string> changelog_config{};
};

} // namespace brook
