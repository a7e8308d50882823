#include "engine/runtime/group_view.h"

#include <utility>

namespace brook {

group_view::group_view(kafka::client_config admin_config, std::string group,
                       std::chrono::milliseconds max_age, std::chrono::milliseconds timeout)
    : _admin_config(std::move(admin_config)), _group(std::move(group)), _max_age(max_age),
      _timeout(timeout) {}

std::shared_ptr<const kafka::group_description> group_view::describe() {
    std::lock_guard lock(_mutex);
    const auto now = std::chrono::steady_clock::now();
    if (_described && now - _described_at < _max_age) {
        return _described;
    }
    if (!_admin) {
        _admin = std::make_unique<kafka::admin_client>(_admin_config);
    }
    _described =
        std::make_shared<const kafka::group_description>(_admin->describe_group(_group, _timeout));
    _described_at = now;
    return _described;
}

} // namespace brook
