// DescribeHostPlatform, CurrentProcessId and PrepareAgentProcess on Windows.
//
// The version comes from ntdll's RtlGetVersion (GetVersionEx lies to
// programs without a manifest). Wine is detected by ntdll exporting
// wine_get_version: its Winsock runs on the host's (Linux) TCP stack, so its
// results are Wine's, not Windows'; the os then says "Windows (Wine x.y)"
// and kernel_version names the host kernel Wine reports
// (wine_get_host_version). The family stays "windows-native": the table a
// Windows result is compared with (deviations under Wine are findings about
// Wine, doc/windows.md).
#include <windows.h>

#include <string>

#include "agents/platform/host_platform.h"
#include "agents/platform/winsock_win.h"

namespace lingerlab {
namespace {

using RtlGetVersionFn = LONG(WINAPI*)(OSVERSIONINFOW*);
using WineGetVersionFn = const char*(CDECL*)();
using WineGetHostVersionFn = void(CDECL*)(const char** sysname, const char** release);

// GetProcAddress returns FARPROC; the cast goes through void* as the
// documented way to call an export of another signature.
template <typename Fn>
Fn Export(HMODULE module, const char* name) {
  if (!module) return nullptr;
  return reinterpret_cast<Fn>(reinterpret_cast<void*>(::GetProcAddress(module, name)));
}

std::string ArchName() {
  SYSTEM_INFO si{};
  ::GetNativeSystemInfo(&si);
  switch (si.wProcessorArchitecture) {
    case PROCESSOR_ARCHITECTURE_AMD64:
      return "x86_64";
    case PROCESSOR_ARCHITECTURE_ARM64:
      return "aarch64";
    case PROCESSOR_ARCHITECTURE_INTEL:
      return "x86";
    default:
      return "unknown";
  }
}

std::string HostName() {
  char name[MAX_COMPUTERNAME_LENGTH + 1] = {};
  DWORD size = sizeof(name);
  if (!::GetComputerNameA(name, &size)) return "";
  return std::string(name, size);
}

}  // namespace

nlohmann::json DescribeHostPlatform() {
  const HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll");
  std::string release = "unknown";
  std::string build;
  if (auto get_version = Export<RtlGetVersionFn>(ntdll, "RtlGetVersion")) {
    OSVERSIONINFOW v{};
    v.dwOSVersionInfoSize = sizeof(v);
    if (get_version(&v) == 0) {
      release = std::to_string(v.dwMajorVersion) + "." + std::to_string(v.dwMinorVersion) + "." +
                std::to_string(v.dwBuildNumber);
      build = "build " + std::to_string(v.dwBuildNumber);
    }
  }
  std::string os = "Windows";
  std::string kernel_version = build;
  if (auto wine_version = Export<WineGetVersionFn>(ntdll, "wine_get_version")) {
    const char* wv = wine_version();
    os = std::string("Windows (Wine ") + (wv ? wv : "unknown") + ")";
    if (auto host = Export<WineGetHostVersionFn>(ntdll, "wine_get_host_version")) {
      const char* sysname = nullptr;
      const char* host_release = nullptr;
      host(&sysname, &host_release);
      kernel_version = std::string("Wine on ") + (sysname ? sysname : "?") + " " +
                       (host_release ? host_release : "?");
    }
  }
  return {{"os", os},           {"release", release},     {"kernel_version", kernel_version},
          {"arch", ArchName()}, {"hostname", HostName()}, {"family", "windows-native"}};
}

int64_t CurrentProcessId() { return static_cast<int64_t>(::GetCurrentProcessId()); }

Status PrepareAgentProcess() {
  // No SIGPIPE on Windows: a send to a vanished peer is an error return.
  if (const int started = win::StartWinsock(); started != 0)
    return MakeError(ErrorCode::kFailed,
                     "WSAStartup(2.2) failed with WSA error " + std::to_string(started));
  return Status::Ok();
}

}  // namespace lingerlab
