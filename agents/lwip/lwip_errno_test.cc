// HostErrnoFromLwip: lwIP's errno numbers to this platform's, and through
// ErrnoName to the portable names the other agents report; and lwIP's own
// err_t -> errno table (err_to_errno, src/api/err.c) as the library has it,
// so a change in the library's numbering shows here.
#include <gtest/gtest.h>

#include <cerrno>

extern "C" {
#include "lwip/err.h"
}

#include "agents/lwip/lwip_errno.h"
#include "agents/platform/socket_api.h"

namespace lingerlab {
namespace {

std::string Name(int lwip_err) { return ErrnoName(HostErrnoFromLwip(lwip_err)); }

TEST(LwipErrno, TheCloseAndShutdownErrorsKeepTheirPortableNames) {
  namespace e = lwip_errno;
  EXPECT_EQ(Name(e::kECONNRESET), "ECONNRESET");
  EXPECT_EQ(Name(e::kECONNABORTED), "ECONNABORTED");
  EXPECT_EQ(Name(e::kENOTCONN), "ENOTCONN");
  EXPECT_EQ(Name(e::kEINVAL), "EINVAL");
  EXPECT_EQ(Name(e::kEBADF), "EBADF");
  EXPECT_EQ(Name(e::kENOPROTOOPT), "ENOPROTOOPT");
  EXPECT_EQ(Name(e::kEOPNOTSUPP), "EOPNOTSUPP");
  EXPECT_EQ(Name(e::kEPIPE), "EPIPE");
  EXPECT_EQ(Name(e::kEINPROGRESS), "EINPROGRESS");
  EXPECT_EQ(Name(e::kEADDRINUSE), "EADDRINUSE");
  EXPECT_EQ(Name(e::kECONNREFUSED), "ECONNREFUSED");
  EXPECT_EQ(Name(e::kETIMEDOUT), "ETIMEDOUT");
}

TEST(LwipErrno, EagainIsReportedAsEwouldblock) {
  EXPECT_EQ(HostErrnoFromLwip(lwip_errno::kEAGAIN), EWOULDBLOCK);
  EXPECT_EQ(Name(lwip_errno::kEAGAIN), "EWOULDBLOCK");
}

TEST(LwipErrno, ZeroAndUnknownNumbersPassThrough) {
  EXPECT_EQ(HostErrnoFromLwip(0), 0);
  EXPECT_EQ(HostErrnoFromLwip(4242), 4242);
  EXPECT_EQ(Name(4242), "E4242");
  // err_to_errno gives -1 for ERR_IF (a low-level netif error): no errno.
  EXPECT_EQ(Name(-1), "E-1");
}

TEST(LwipErrno, EveryErrTOfTheLibraryMapsToItsDocumentedName) {
  // lwIP 2.1.3, src/api/err.c, err_to_errno_table.
  const std::pair<err_t, const char*> table[] = {
      {ERR_OK, ""},
      {ERR_MEM, "ENOMEM"},
      {ERR_BUF, "ENOBUFS"},
      {ERR_TIMEOUT, "EWOULDBLOCK"},
      {ERR_RTE, "EHOSTUNREACH"},
      {ERR_INPROGRESS, "EINPROGRESS"},
      {ERR_VAL, "EINVAL"},
      {ERR_WOULDBLOCK, "EWOULDBLOCK"},
      {ERR_USE, "EADDRINUSE"},
      {ERR_ALREADY, "EALREADY"},
      {ERR_ISCONN, "EISCONN"},
      {ERR_CONN, "ENOTCONN"},
      {ERR_ABRT, "ECONNABORTED"},
      {ERR_RST, "ECONNRESET"},
      {ERR_CLSD, "ENOTCONN"},
      {ERR_ARG, "EIO"},
  };
  for (const auto& [err, name] : table)
    EXPECT_EQ(Name(err_to_errno(err)), name) << "err_t " << static_cast<int>(err);
}

}  // namespace
}  // namespace lingerlab
