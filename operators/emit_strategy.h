#pragma once

// emit_strategy: when a windowed aggregation forwards its results, as Kafka Streams'
// EmitStrategy (3.3+):
//
//   on_window_update() (the default): every change of a window's aggregate, de-duplicated
//     by the store's cache when caching is on (one result per window per commit);
//   on_window_close(): exactly one final result per window, once the window has closed
//     (its end plus the grace period has passed in stream time). Nothing is forwarded
//     while the window is open.

namespace brook {

class emit_strategy {
public:
    enum class kind { on_window_update, on_window_close };

    static emit_strategy on_window_update() { return emit_strategy(kind::on_window_update); }
    static emit_strategy on_window_close() { return emit_strategy(kind::on_window_close); }

    kind type() const { return _kind; }
    bool emits_on_close() const { return _kind == kind::on_window_close; }
    bool operator==(const emit_strategy&) const = default;

private:
    explicit emit_strategy(kind k) : _kind(k) {}
    kind _kind;
};

} // namespace brook
