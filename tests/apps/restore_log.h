#pragma once

// restore_log: the test apps' restore listener. Each time a store partition finishes
// restoring it appends one line to a file the test reads: "<records restored>", or with
// `detailed` "<wall ms> <changelog topic> <partition> <records restored>".
//
// Threading: called from every stream thread; one mutex around the file.

#include <chrono>
#include <fstream>
#include <mutex>
#include <string>

#include "engine/runtime/state_restore_listener.h"

namespace brook::test_apps {

class restore_log final : public state_restore_listener {
public:
    restore_log(std::string path, bool detailed) : _path(std::move(path)), _detailed(detailed) {}
    void on_restore_start(const std::string&, int32_t, const std::string&, int64_t,
                          int64_t) override {}
    void on_batch_restored(const std::string&, int32_t, const std::string&, int64_t,
                           int64_t) override {}
    void on_restore_end(const std::string& topic, int32_t partition, const std::string&,
                        int64_t total) override {
        std::lock_guard lock(_mutex);
        std::ofstream out(_path, std::ios::app);
        if (_detailed) {
            out << std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count()
                << ' ' << topic << ' ' << partition << ' ';
        }
        out << total << std::endl;
    }

private:
    std::string _path;
    bool _detailed;
    std::mutex _mutex;
};

} // namespace brook::test_apps
