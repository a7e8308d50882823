#pragma once

// The processor API: a processor receives typed records of <KIn, VIn> and forwards
// records of <KOut, VOut> to its children through its processor_context.
//
// Lifecycle: one instance per task, made by the supplier given to the topology; init()
// once before the first record, process() per record, close() once when the task closes
// (also on revocation). Threading: all calls on the task's thread; no locking needed.
// Ownership: the task owns the processor; the context outlives it.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "engine/errors.h"
#include "engine/processor/task_context.h"

namespace brook {

// The typed receiving side of a node: what forward() calls.
template <class K, class V>
class input_port {
public:
    virtual ~input_port() = default;
    virtual void process(record<K, V>&& r) = 0;
};

template <class KOut, class VOut>
class processor_context;

namespace detail {
// The task behind a context with the runtime's hooks, for the library's own nodes and
// operators; processors of users get processor_context::task().
template <class KOut, class VOut>
task_context& runtime_task(processor_context<KOut, VOut>& context);
} // namespace detail

template <class KOut, class VOut>
class processor_context {
public:
    // Sends the record to every child; each gets its own copy except the last, which gets
    // the original moved.
    void forward(record<KOut, VOut>&& r) {
        const size_t n = _children.size();
        for (size_t i = 0; i + 1 < n; ++i) {
            record<KOut, VOut> copy = r;
            _children[i].second->process(std::move(copy));
        }
        if (n > 0) {
            _children[n - 1].second->process(std::move(r));
        }
    }
    void forward(const record<KOut, VOut>& r) {
        record<KOut, VOut> copy = r;
        forward(std::move(copy));
    }
    // Sends the record to the named child only; throws topology_error if there is none.
    void forward(record<KOut, VOut>&& r, std::string_view child) {
        for (auto& [name, port] : _children) {
            if (name == child) {
                port->process(std::move(r));
                return;
            }
        }
        throw topology_error(fmt::format("forward: '{}' is not a child of this node", child));
    }

    processor_task& task() { return *_task; }
    const record_metadata* metadata() const { return _task->current_metadata(); }
    int64_t stream_time() const { return _task->stream_time(); }
    int64_t wall_clock_time() const { return _task->wall_clock_time(); }
    state::state_store& store(std::string_view name) { return _task->store(name); }
    cancellable schedule(std::chrono::milliseconds interval, punctuation_type type, punctuator fn) {
        return _task->schedule(interval, type, std::move(fn));
    }
    const std::string& application_id() const { return _task->application_id(); }

    // Wiring, done once per task by the topology before init().
    void bind(task_context& task) { _task = &task; }
    void add_child(std::string name, input_port<KOut, VOut>* port) {
        _children.emplace_back(std::move(name), port);
    }

private:
    template <class K, class V>
    friend task_context& detail::runtime_task(processor_context<K, V>& context);

    task_context* _task = nullptr;
    std::vector<std::pair<std::string, input_port<KOut, VOut>*>> _children;
};

template <class KOut, class VOut>
task_context& detail::runtime_task(processor_context<KOut, VOut>& context) {
    return *context._task;
}

template <class KIn, class VIn, class KOut = KIn, class VOut = VIn>
class processor {
public:
    using context_type = processor_context<KOut, VOut>;
    using key_in = KIn;
    using value_in = VIn;
    using key_out = KOut;
    using value_out = VOut;

    virtual ~processor() = default;
    // Called once before the first record; the context stays valid until close().
    virtual void init(context_type& /*context*/) {}
    virtual void process(record<KIn, VIn>&& r) = 0;
    virtual void close() {}

    // Set by the framework before init(); lets subclasses forward without keeping it.
    void attach(context_type& context) { _context = &context; }

protected:
    context_type& context() { return *_context; }

private:
    context_type* _context = nullptr;
};

} // namespace brook
