#include "engine/store/get_store.h"

#include <cstdlib>
#include <cxxabi.h>
#include <memory>

namespace brook::detail {

namespace {

void replace_all(std::string& s, std::string_view from, std::string_view to) {
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
        s.replace(at, from.size(), to);
    }
}

} // namespace

std::string readable_type_name(const std::type_info& type) {
    int status = 0;
    std::unique_ptr<char, decltype(&std::free)> demangled(
        abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), &std::free);
    std::string name = status == 0 && demangled ? std::string(demangled.get()) : type.name();
    // The spelling users wrote, not the one the standard library defines.
    replace_all(name,
                "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >",
                "std::string");
    replace_all(name, "std::basic_string<char, std::char_traits<char>, std::allocator<char> >",
                "std::string");
    replace_all(name, "std::__cxx11::", "std::");
    return name;
}

} // namespace brook::detail
