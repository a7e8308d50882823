#include "tests/support/assignment_log.h"

#include <fstream>
#include <regex>
#include <sstream>

namespace brook::testing {

std::vector<logged_assignment> assignments_in(const std::filesystem::path& log) {
    static const std::regex line(
        R"(stream thread \d+: assigned tasks \[([^\]]*)\](?: after a pause of (\d+) ms)?)");
    std::vector<logged_assignment> out;
    std::ifstream in(log);
    std::string text;
    while (std::getline(in, text)) {
        std::smatch m;
        if (!std::regex_search(text, m, line)) {
            continue;
        }
        logged_assignment a;
        std::stringstream ids(m[1].str());
        std::string id;
        while (std::getline(ids, id, ',')) {
            if (!id.empty()) {
                a.tasks.insert(id);
            }
        }
        a.pause_ms = m[2].matched ? std::stoll(m[2].str()) : -1;
        out.push_back(std::move(a));
    }
    return out;
}

} // namespace brook::testing
