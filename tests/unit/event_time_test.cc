// The pieces that carry event time across restarts and repartition topics: the commit
// metadata codec, the progress marker codec, and the fan-in watermark a task reading a
// repartition topic keeps from its writers' markers. The codecs read bytes that come from
// the broker, so every malformed form must be refused, never misread.

#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/runtime/commit_metadata.h"
#include "engine/runtime/fan_in_watermark.h"
#include "engine/runtime/progress_marker.h"

namespace brook {
namespace {

TEST(commit_metadata, round_trips_time_and_watermark_and_refuses_what_is_not_brooks) {
    commit_metadata m;
    m.partition_time = 1'700'000'000'123;
    m.watermark = "0/2=5,?";
    const auto back = commit_metadata::decode(m.encode());
    ASSERT_TRUE(back);
    EXPECT_EQ(back->partition_time, m.partition_time);
    EXPECT_EQ(back->watermark, m.watermark);

    const auto plain = commit_metadata::decode(commit_metadata{42, {}}.encode());
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->partition_time, 42);
    EXPECT_TRUE(plain->watermark.empty());

    for (const char* bad : {"", "AgAAAY2", "brook1 t=", "brook1 t=12x", "brook1 t=-7",
                            "brook1 t=5 q=1", "brook2 t=5", "brook1 t=99999999999999999999"}) {
        EXPECT_FALSE(commit_metadata::decode(bad)) << bad;
    }
}

TEST(commit_metadata, leaves_a_watermark_out_rather_than_exceed_what_the_broker_keeps) {
    commit_metadata m;
    m.partition_time = 7;
    m.watermark = std::string(commit_metadata::max_bytes, '1');
    const std::string text = m.encode();
    EXPECT_LE(text.size(), commit_metadata::max_bytes);
    EXPECT_EQ(commit_metadata::decode(text)->watermark, "");
}

TEST(progress_marker, round_trips_and_refuses_malformed_values) {
    progress_marker m;
    m.subtopology = 3;
    m.partition = 4;
    m.tasks = 6;
    m.stream_time = 1'700'000'000'000;
    m.idle = true;
    m.wall_ms = 1'800'000'000'000;
    m.ends = {120, -1, 7};
    const auto back = progress_marker::parse(m.encode());
    ASSERT_TRUE(back);
    EXPECT_EQ(back->subtopology, 3);
    EXPECT_EQ(back->partition, 4);
    EXPECT_EQ(back->tasks, 6);
    EXPECT_EQ(back->stream_time, m.stream_time);
    EXPECT_TRUE(back->idle);
    EXPECT_EQ(back->wall_ms, m.wall_ms);
    EXPECT_EQ(back->ends, m.ends);

    EXPECT_TRUE(progress_marker::parse("0.0.1.-1.a.5."));
    for (const char* bad :
         {"", "0.0.1.-1.a.5", "0.0.1.-1.x.5.", "0.1.1.5.a.5.", "0.0.0.5.a.5.", "-1.0.1.5.a.5.",
          "0.0.1.-2.a.5.", "0.0.1.5.a.-5.", "0.0.1.5.a.5.3", "0.0.1.5.i.5.3,", "0.0.1.5.i.5.,3",
          "0.0.1.5.i.5.-2", "0.0.1.5.i.5.3x", "a.b.c.d.e.f.", "0.0.1.5.i.5.3 "}) {
        EXPECT_FALSE(progress_marker::parse(bad)) << bad;
    }
    std::string many = "0.0.1.5.i.5.";
    for (size_t i = 0; i <= progress_marker::max_inputs; ++i) {
        many += i == 0 ? "1" : ",1";
    }
    EXPECT_FALSE(progress_marker::parse(many)) << "more inputs than any sub-topology has";
}

progress_marker marker(int st, int32_t p, int64_t time, bool idle, int64_t wall = 0,
                       std::vector<int64_t> ends = {}) {
    progress_marker m;
    m.subtopology = st;
    m.partition = p;
    m.tasks = 3;
    m.stream_time = time;
    m.idle = idle;
    m.wall_ms = wall;
    m.ends = std::move(ends);
    return m;
}

const fan_in_watermark::idle_check confirm_all = [](int, int32_t, const std::vector<int64_t>&,
                                                    int64_t) { return true; };
const fan_in_watermark::idle_check confirm_none = [](int, int32_t, const std::vector<int64_t>&,
                                                     int64_t) { return false; };

TEST(fan_in_watermark, waits_for_every_writer_then_follows_the_slowest_active_one) {
    fan_in_watermark w({{0, 3}});
    EXPECT_FALSE(w.observe(marker(0, 0, 1000, false), confirm_all));
    EXPECT_FALSE(w.observe(marker(0, 1, 5000, false), confirm_all));
    EXPECT_EQ(w.value(), -1) << "writer 2 has not been heard from";
    EXPECT_TRUE(w.observe(marker(0, 2, 3000, false), confirm_all));
    EXPECT_EQ(w.value(), 1000);
    EXPECT_TRUE(w.observe(marker(0, 0, 9000, false), confirm_all));
    EXPECT_EQ(w.value(), 3000);
    // A marker from a task the watermark does not know changes nothing.
    EXPECT_FALSE(w.observe(marker(0, 7, 99999, false), confirm_all));
    EXPECT_FALSE(w.observe(marker(5, 0, 99999, false), confirm_all));
    EXPECT_EQ(w.value(), 3000);
}

TEST(fan_in_watermark, an_idle_writer_holds_nothing_back_only_while_its_claim_is_confirmed) {
    fan_in_watermark w({{0, 2}});
    w.observe(marker(0, 0, 9000, false), confirm_all);
    w.observe(marker(0, 1, 2000, true, 55, {10}), confirm_none);
    EXPECT_EQ(w.value(), 2000) << "an unconfirmed idle writer counts as active at its time";
    EXPECT_TRUE(w.waits_on_idle_writers());
    EXPECT_TRUE(w.recompute(confirm_all));
    EXPECT_EQ(w.value(), 9000);
    EXPECT_FALSE(w.waits_on_idle_writers());
    // Never back, even when the claim is refused later.
    EXPECT_FALSE(w.recompute(confirm_none));
    EXPECT_EQ(w.value(), 9000);
}

TEST(fan_in_watermark, the_check_is_asked_about_the_claims_own_ends_and_wall_clock) {
    fan_in_watermark w({{2, 1}});
    int asked = 0;
    const fan_in_watermark::idle_check check = [&](int st, int32_t p,
                                                   const std::vector<int64_t>& ends, int64_t wall) {
        ++asked;
        EXPECT_EQ(st, 2);
        EXPECT_EQ(p, 0);
        EXPECT_EQ(ends, (std::vector<int64_t>{4, 8}));
        EXPECT_EQ(wall, 777);
        return true;
    };
    progress_marker m = marker(2, 0, 100, true, 777, {4, 8});
    m.tasks = 1;
    EXPECT_TRUE(w.observe(m, check));
    EXPECT_EQ(asked, 1);
    EXPECT_EQ(w.value(), 100) << "every writer idle: the largest time";
}

TEST(fan_in_watermark, survives_a_commit_and_refuses_state_of_other_writers) {
    fan_in_watermark w({{0, 2}, {4, 1}});
    w.observe(marker(0, 0, 100, false), confirm_all);
    w.observe(marker(0, 1, 200, true, 9, {5, -1}), confirm_all);
    const std::string text = w.encode();
    EXPECT_EQ(text, "0/2=100,200i9~5~-1|4/1=?");

    fan_in_watermark restored({{0, 2}, {4, 1}});
    ASSERT_TRUE(restored.restore(text));
    EXPECT_EQ(restored.encode(), text);
    progress_marker last = marker(4, 0, 150, false);
    last.tasks = 1;
    EXPECT_TRUE(restored.observe(last, confirm_all)) << "all writers known again";
    EXPECT_EQ(restored.value(), 100);

    fan_in_watermark other({{0, 3}});
    EXPECT_FALSE(other.restore(text)) << "three writers, not two";
    for (const char* bad : {"0/2=1", "0/2=1,2,3", "1/2=1,2", "0/2=1,x", "0/2=1,2i", "0/2=1,2i5~x",
                            "0/2=1,2|9/9=1", "0/2=-5,1"}) {
        fan_in_watermark two({{0, 2}});
        EXPECT_FALSE(two.restore(bad)) << bad;
        EXPECT_EQ(two.encode(), "0/2=?,?") << "a refused text changes nothing: " << bad;
    }
}

} // namespace
} // namespace brook
