// brook-publisher and a damaged outbox, as the program runs in production: a first run
// accepts 2,000 events while Kafka is unreachable, so they wait in the outbox; then half of
// the outbox's write-ahead log is overwritten with garbage (a disk or a tool gone wrong);
// `--resume` against the real broker must refuse the outbox: exit non-zero, name the
// directory and how many accepted events cannot be read, and deliver none of them (the
// readable half delivered with exit 0 is how 996 events were once lost without a word).

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "engine/kafka/admin_client.h"
#include "tests/support/app_process.h"
#include "tests/support/broker.h"
#include "tests/support/topic_tail.h"

namespace brook::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string quoted(const std::string& s) {
    std::string out = "'";
    for (const char c : s) {
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return out + "'";
}

// Runs brook-publisher with `args`, its stderr into `stderr_file`; returns the exit status.
int run_publisher(const std::vector<std::string>& args, const fs::path& stderr_file) {
    std::string command = quoted(bin_path("brook-publisher"));
    for (const std::string& a : args) {
        command += " " + quoted(a);
    }
    command += " >/dev/null 2>" + quoted(stderr_file.string());
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

class publisher_damaged_outbox : public ::testing::Test {
protected:
    void SetUp() override {
        _topic = unique_name("publisher-damaged");
        _dir = fs::temp_directory_path() / unique_name("publisher-damaged");
        fs::create_directories(_dir);
        kafka::admin_client admin(real_client_config());
        admin.create_topics({{_topic, 3}, {_topic + ".dlq", 3}}, 30s);
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(_dir, ec);
    }

    std::string _topic;
    fs::path _dir;
};

TEST_F(publisher_damaged_outbox, resume_refuses_a_half_overwritten_log_naming_it_and_the_loss) {
    const fs::path outbox = _dir / "outbox";
    const std::vector<std::string> common = {
        "--topic", _topic,       "--outbox-dir", outbox.string(), "--no-create-topics",
        "--set",   "log_level=0"};
    std::vector<std::string> first = {"--bootstrap-servers", "127.0.0.1:1", "--records", "2000",
                                      "--drain-timeout",     "1s"};
    first.insert(first.end(), common.begin(), common.end());
    // Kafka unreachable: all accepted, none delivered, so exit 1 with the outbox full.
    ASSERT_EQ(run_publisher(first, _dir / "first.err"), 1) << read_file(_dir / "first.err");

    std::vector<fs::path> logs;
    for (const auto& entry : fs::directory_iterator(outbox)) {
        if (entry.path().extension() == ".log") {
            logs.push_back(entry.path());
        }
    }
    ASSERT_FALSE(logs.empty()) << "no write-ahead log in " << outbox;
    std::mt19937 random(7);
    for (const fs::path& log : logs) {
        const auto size = static_cast<std::streamoff>(fs::file_size(log));
        std::fstream out(log, std::ios::in | std::ios::out | std::ios::binary);
        out.seekp(size / 2);
        for (std::streamoff i = size / 2; i < size; ++i) {
            out.put(static_cast<char>(random()));
        }
        ASSERT_TRUE(out.good());
    }

    std::vector<std::string> resume = {"--bootstrap-servers", real_bootstrap(), "--resume"};
    resume.insert(resume.end(), common.begin(), common.end());
    const int code = run_publisher(resume, _dir / "resume.err");
    const std::string error = read_file(_dir / "resume.err");
    std::cout << "brook-publisher --resume said:\n" << error;
    EXPECT_NE(code, 0) << "a damaged outbox was resumed as if whole";
    EXPECT_EQ(code, 1);
    EXPECT_NE(error.find(fmt::format("outbox {} is damaged", outbox.string())), std::string::npos)
        << error;
    std::smatch counts;
    ASSERT_TRUE(std::regex_search(
        error, counts,
        std::regex(R"((\d+) accepted, undelivered events cannot be read \((\d+) still can\))")))
        << error;
    const uint64_t lost = std::stoull(counts[1]);
    const uint64_t readable = std::stoull(counts[2]);
    EXPECT_GT(lost, 500u);
    EXPECT_EQ(lost + readable, 2000u);

    // Nothing was delivered, not even the readable half.
    topic_tail tail(real_client_config(), _topic, 3);
    size_t delivered = 0;
    for (int i = 0; i < 6; ++i) {
        delivered += tail.poll(500ms, [](const rd_kafka_message_t&) {});
    }
    EXPECT_EQ(delivered, 0u);
}

} // namespace
} // namespace brook::testing
