#include "engine/kafka/admin_client.h"

#include <algorithm>
#include <array>
#include <thread>

#include <fmt/format.h>

#include "engine/errors.h"
#include "engine/kafka/kafka_error.h"

namespace brook::kafka {

admin_client::admin_client(const client_config& config) {
    conf_ptr conf = config.build();
    std::array<char, 512> errstr{};
    // Asking whether a topic exists must never create it. librdkafka's producer handle
    // (which carries the admin API) lets a metadata request auto-create the topic it names
    // on a broker with auto.create.topics.enable=true, Kafka's default: a missing changelog
    // or repartition topic then came back with the broker's num.partitions and default
    // configs (not compacted, with retention) before Brook could create it as it must be.
    if (rd_kafka_conf_set(conf.get(), "allow.auto.create.topics", "false", errstr.data(),
                          errstr.size()) != RD_KAFKA_CONF_OK) {
        throw config_error(fmt::format("admin client: {}", errstr.data()));
    }
    _rk.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr.data(), errstr.size()));
    if (!_rk) {
        throw kafka_error(fmt::format("cannot create admin client: {}", errstr.data()),
                          RD_KAFKA_RESP_ERR__INVALID_ARG, true, false, false);
    }
    (void)conf.release();
}

event_ptr admin_client::wait_result(rd_kafka_queue_t* queue, rd_kafka_event_type_t type,
                                    std::chrono::milliseconds timeout, const char* what) {
    // The request carries its own timeout; wait a little longer so its result, not our
    // give-up, reports the failure.
    event_ptr ev(rd_kafka_queue_poll(queue, static_cast<int>(timeout.count()) + 2000));
    if (!ev) {
        throw kafka_error::from(RD_KAFKA_RESP_ERR__TIMED_OUT, what);
    }
    if (rd_kafka_event_type(ev.get()) != type) {
        throw_if_error(rd_kafka_event_error(ev.get()), what);
        throw kafka_error::from(RD_KAFKA_RESP_ERR__FAIL, what);
    }
    throw_if_error(rd_kafka_event_error(ev.get()), what);
    return ev;
}

void admin_client::create_topics(const std::vector<topic_spec>& topics,
                                 std::chrono::milliseconds timeout) {
    if (topics.empty()) {
        return;
    }
    std::vector<new_topic_ptr> owned;
    std::vector<rd_kafka_NewTopic_t*> raw;
    std::array<char, 512> errstr{};
    for (const auto& spec : topics) {
        new_topic_ptr nt(rd_kafka_NewTopic_new(spec.name.c_str(), spec.partitions,
                                               spec.replication_factor, errstr.data(),
                                               errstr.size()));
        if (!nt) {
            throw kafka_error(fmt::format("invalid topic '{}': {}", spec.name, errstr.data()),
                              RD_KAFKA_RESP_ERR__INVALID_ARG, false, false, false);
        }
        for (const auto& [k, v] : spec.configs) {
            throw_if_error(rd_kafka_NewTopic_set_config(nt.get(), k.c_str(), v.c_str()),
                           fmt::format("topic '{}' config '{}'", spec.name, k));
        }
        raw.push_back(nt.get());
        owned.push_back(std::move(nt));
    }
    admin_options_ptr options(rd_kafka_AdminOptions_new(_rk.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS));
    rd_kafka_AdminOptions_set_operation_timeout(options.get(), static_cast<int>(timeout.count()),
                                                nullptr, 0);
    rd_kafka_AdminOptions_set_request_timeout(options.get(), static_cast<int>(timeout.count()),
                                              nullptr, 0);
    queue_ptr queue(rd_kafka_queue_new(_rk.get()));
    rd_kafka_CreateTopics(_rk.get(), raw.data(), raw.size(), options.get(), queue.get());
    event_ptr ev =
        wait_result(queue.get(), RD_KAFKA_EVENT_CREATETOPICS_RESULT, timeout, "creating topics");
    const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(ev.get());
    size_t count = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(result, &count);
    for (size_t i = 0; i < count; ++i) {
        const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
            const char* msg = rd_kafka_topic_result_error_string(results[i]);
            throw kafka_error(fmt::format("cannot create topic '{}': {} ({})",
                                          rd_kafka_topic_result_name(results[i]),
                                          msg != nullptr ? msg : rd_kafka_err2str(err),
                                          rd_kafka_err2name(err)),
                              err, false, false, false);
        }
    }
    // The controller has the topics now, but a broker's metadata may lag behind it: wait
    // until they are visible, so that a consumer started next does not find them missing.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (const auto& spec : topics) {
        while (!partition_count(spec.name, timeout)) {
            if (std::chrono::steady_clock::now() > deadline) {
                throw kafka_error::from(RD_KAFKA_RESP_ERR__TIMED_OUT,
                                        fmt::format("waiting for new topic '{}'", spec.name));
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
}

group_description admin_client::describe_group(const std::string& group,
                                               std::chrono::milliseconds timeout) {
    admin_options_ptr options(
        rd_kafka_AdminOptions_new(_rk.get(), RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS));
    rd_kafka_AdminOptions_set_request_timeout(options.get(), static_cast<int>(timeout.count()),
                                              nullptr, 0);
    queue_ptr queue(rd_kafka_queue_new(_rk.get()));
    const char* groups[] = {group.c_str()};
    rd_kafka_DescribeConsumerGroups(_rk.get(), groups, 1, options.get(), queue.get());
    event_ptr ev = wait_result(queue.get(), RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT, timeout,
                               "describing the consumer group");
    size_t count = 0;
    const rd_kafka_ConsumerGroupDescription_t** descriptions =
        rd_kafka_DescribeConsumerGroups_result_groups(
            rd_kafka_event_DescribeConsumerGroups_result(ev.get()), &count);
    group_description described;
    std::vector<group_member>& members = described.members;
    for (size_t g = 0; g < count; ++g) {
        if (const rd_kafka_error_t* error =
                rd_kafka_ConsumerGroupDescription_error(descriptions[g])) {
            throw kafka_error::from(rd_kafka_error_code(error),
                                    fmt::format("describing consumer group '{}'", group));
        }
        const auto text = [](const char* s) {
            return s != nullptr ? std::string(s) : std::string();
        };
        const rd_kafka_consumer_group_state_t state =
            rd_kafka_ConsumerGroupDescription_state(descriptions[g]);
        described.state = rd_kafka_consumer_group_state_name(state);
        described.stable = state == RD_KAFKA_CONSUMER_GROUP_STATE_STABLE;
        const size_t n = rd_kafka_ConsumerGroupDescription_member_count(descriptions[g]);
        for (size_t i = 0; i < n; ++i) {
            const rd_kafka_MemberDescription_t* m =
                rd_kafka_ConsumerGroupDescription_member(descriptions[g], i);
            group_member member{text(rd_kafka_MemberDescription_consumer_id(m)),
                                text(rd_kafka_MemberDescription_client_id(m)),
                                text(rd_kafka_MemberDescription_group_instance_id(m)),
                                text(rd_kafka_MemberDescription_host(m)),
                                {}};
            if (const rd_kafka_MemberAssignment_t* a = rd_kafka_MemberDescription_assignment(m)) {
                if (const rd_kafka_topic_partition_list_t* parts =
                        rd_kafka_MemberAssignment_partitions(a)) {
                    for (int j = 0; j < parts->cnt; ++j) {
                        member.assignment.emplace_back(parts->elems[j].topic,
                                                       parts->elems[j].partition);
                    }
                }
            }
            members.push_back(std::move(member));
        }
    }
    return described;
}

void admin_client::delete_topics(const std::vector<std::string>& topics,
                                 std::chrono::milliseconds timeout) {
    if (topics.empty()) {
        return;
    }
    std::vector<delete_topic_ptr> owned;
    std::vector<rd_kafka_DeleteTopic_t*> raw;
    for (const auto& name : topics) {
        owned.emplace_back(rd_kafka_DeleteTopic_new(name.c_str()));
        raw.push_back(owned.back().get());
    }
    admin_options_ptr options(rd_kafka_AdminOptions_new(_rk.get(), RD_KAFKA_ADMIN_OP_DELETETOPICS));
    rd_kafka_AdminOptions_set_operation_timeout(options.get(), static_cast<int>(timeout.count()),
                                                nullptr, 0);
    queue_ptr queue(rd_kafka_queue_new(_rk.get()));
    rd_kafka_DeleteTopics(_rk.get(), raw.data(), raw.size(), options.get(), queue.get());
    event_ptr ev =
        wait_result(queue.get(), RD_KAFKA_EVENT_DELETETOPICS_RESULT, timeout, "deleting topics");
    size_t count = 0;
    const rd_kafka_topic_result_t** results =
        rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev.get()), &count);
    for (size_t i = 0; i < count; ++i) {
        const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
            throw kafka_error::from(err, fmt::format("cannot delete topic '{}'",
                                                     rd_kafka_topic_result_name(results[i])));
        }
    }
}

std::optional<int> admin_client::partition_count(const std::string& topic,
                                                 std::chrono::milliseconds timeout,
                                                 const std::function<bool()>& cancelled) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (cancelled && cancelled()) {
            throw operation_cancelled(
                fmt::format("gave up waiting for the cluster (topic '{}'): asked to stop", topic));
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        try {
            return partition_count(topic, std::clamp(left, std::chrono::milliseconds(1),
                                                     std::chrono::milliseconds(1000)));
        } catch (const kafka_error& e) {
            if (!e.is_retriable() || std::chrono::steady_clock::now() >= deadline) {
                throw;
            }
        }
    }
}

std::optional<int> admin_client::partition_count(const std::string& topic,
                                                 std::chrono::milliseconds timeout) {
    const rd_kafka_metadata_t* raw = nullptr;
    // A topic handle scopes the request to this topic; with auto-create off on the
    // broker, asking does not create it.
    topic_ptr rkt(rd_kafka_topic_new(_rk.get(), topic.c_str(), nullptr));
    throw_if_error(
        rd_kafka_metadata(_rk.get(), 0, rkt.get(), &raw, static_cast<int>(timeout.count())),
        fmt::format("reading metadata of topic '{}'", topic));
    metadata_ptr md(raw);
    for (int i = 0; i < md->topic_cnt; ++i) {
        const rd_kafka_metadata_topic& t = md->topics[i];
        if (topic != t.topic) {
            continue;
        }
        if (t.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
            return std::nullopt;
        }
        throw_if_error(t.err, fmt::format("reading metadata of topic '{}'", topic));
        return t.partition_cnt;
    }
    return std::nullopt;
}

std::vector<std::string> admin_client::topic_names(std::chrono::milliseconds timeout) {
    const rd_kafka_metadata_t* raw = nullptr;
    throw_if_error(
        rd_kafka_metadata(_rk.get(), 1, nullptr, &raw, static_cast<int>(timeout.count())),
        "listing topics");
    metadata_ptr md(raw);
    std::vector<std::string> out;
    for (int i = 0; i < md->topic_cnt; ++i) {
        out.emplace_back(md->topics[i].topic);
    }
    return out;
}

void admin_client::alter_topic_configs(const std::string& topic,
                                       const std::map<std::string, std::string>& configs,
                                       std::chrono::milliseconds timeout) {
    config_resource_ptr res(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str()));
    for (const auto& [k, v] : configs) {
        throw_if_error(rd_kafka_ConfigResource_set_config(res.get(), k.c_str(), v.c_str()),
                       fmt::format("topic '{}' config '{}'", topic, k));
    }
    rd_kafka_ConfigResource_t* raw = res.get();
    admin_options_ptr options(rd_kafka_AdminOptions_new(_rk.get(), RD_KAFKA_ADMIN_OP_ALTERCONFIGS));
    rd_kafka_AdminOptions_set_request_timeout(options.get(), static_cast<int>(timeout.count()),
                                              nullptr, 0);
    queue_ptr queue(rd_kafka_queue_new(_rk.get()));
    rd_kafka_AlterConfigs(_rk.get(), &raw, 1, options.get(), queue.get());
    event_ptr ev = wait_result(queue.get(), RD_KAFKA_EVENT_ALTERCONFIGS_RESULT, timeout,
                               "altering topic configs");
    size_t count = 0;
    const rd_kafka_ConfigResource_t** results = rd_kafka_AlterConfigs_result_resources(
        rd_kafka_event_AlterConfigs_result(ev.get()), &count);
    for (size_t i = 0; i < count; ++i) {
        throw_if_error(rd_kafka_ConfigResource_error(results[i]),
                       fmt::format("altering configs of topic '{}'", topic));
    }
}

std::map<std::string, std::string> admin_client::topic_configs(const std::string& topic,
                                                               std::chrono::milliseconds timeout) {
    config_resource_ptr res(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str()));
    rd_kafka_ConfigResource_t* raw = res.get();
    admin_options_ptr options(
        rd_kafka_AdminOptions_new(_rk.get(), RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS));
    rd_kafka_AdminOptions_set_request_timeout(options.get(), static_cast<int>(timeout.count()),
                                              nullptr, 0);
    queue_ptr queue(rd_kafka_queue_new(_rk.get()));
    rd_kafka_DescribeConfigs(_rk.get(), &raw, 1, options.get(), queue.get());
    const std::string what = fmt::format("describing the configs of topic '{}'", topic);
    event_ptr ev =
        wait_result(queue.get(), RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT, timeout, what.c_str());
    size_t count = 0;
    const rd_kafka_ConfigResource_t** results = rd_kafka_DescribeConfigs_result_resources(
        rd_kafka_event_DescribeConfigs_result(ev.get()), &count);
    std::map<std::string, std::string> out;
    for (size_t i = 0; i < count; ++i) {
        throw_if_error(rd_kafka_ConfigResource_error(results[i]), what);
        size_t entries = 0;
        const rd_kafka_ConfigEntry_t** configs =
            rd_kafka_ConfigResource_configs(results[i], &entries);
        for (size_t j = 0; j < entries; ++j) {
            const char* value = rd_kafka_ConfigEntry_value(configs[j]);
            out[rd_kafka_ConfigEntry_name(configs[j])] = value != nullptr ? value : "";
        }
    }
    return out;
}

void admin_client::delete_records_async(const rd_kafka_topic_partition_list_t& before,
                                        rd_kafka_queue_t* results,
                                        std::chrono::milliseconds timeout) {
    // The request copies the list; the caller keeps its own.
    delete_records_ptr request(rd_kafka_DeleteRecords_new(&before));
    rd_kafka_DeleteRecords_t* raw = request.get();
    admin_options_ptr options(
        rd_kafka_AdminOptions_new(_rk.get(), RD_KAFKA_ADMIN_OP_DELETERECORDS));
    rd_kafka_AdminOptions_set_operation_timeout(options.get(), static_cast<int>(timeout.count()),
                                                nullptr, 0);
    rd_kafka_AdminOptions_set_request_timeout(options.get(), static_cast<int>(timeout.count()),
                                              nullptr, 0);
    rd_kafka_DeleteRecords(_rk.get(), &raw, 1, options.get(), results);
}

} // namespace brook::kafka
