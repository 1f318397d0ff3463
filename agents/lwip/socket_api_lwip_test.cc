// LwipSocketApi on a running lwIP without any interface: the calls that need
// no peer (options, linger read back, non-blocking flag, close twice) give
// what lwIP 2.1.3's sockets.c says, in portable error names.
#include "agents/lwip/socket_api_lwip.h"
#include "agents/lwip/lwip_pcb_table.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <future>

extern "C" {
#include "lwip/sockets.h"
#include "lwip/tcpip.h"
}

namespace lingerlab {
namespace {

class LwipSocketApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::promise<void> up;
    tcpip_init([](void* arg) { static_cast<std::promise<void>*>(arg)->set_value(); }, &up);
    up.get_future().wait();
  }
  std::unique_ptr<SocketApi> api_ = MakeLwipSocketApi();
};

TEST_F(LwipSocketApiTest, LingerIsStoredAndReadBack) {
  SysResult s = api_->Socket(Family::kInet);
  ASSERT_TRUE(s.ok()) << ErrnoName(s.err);
  EXPECT_EQ(api_->GetLinger(s.ret).ret, -2);  // off by default (netconn_alloc)
  EXPECT_TRUE(api_->SetLinger(s.ret, true, 0).ok());
  EXPECT_EQ(api_->GetLinger(s.ret).ret, 0);
  EXPECT_TRUE(api_->SetLinger(s.ret, true, 20).ok());
  EXPECT_EQ(api_->GetLinger(s.ret).ret, 20);
  // lwip_setsockopt_impl: a negative l_linger with l_onoff set is EINVAL.
  EXPECT_EQ(ErrnoName(api_->SetLinger(s.ret, true, -1).err), "EINVAL");
  EXPECT_TRUE(api_->SetLinger(s.ret, false, 0).ok());
  EXPECT_EQ(api_->GetLinger(s.ret).ret, -2);
  EXPECT_TRUE(api_->Close(s.ret).ok());
}

TEST_F(LwipSocketApiTest, NoSendBufferOptionAndReceiveBufferWorks) {
  SysResult s = api_->Socket(Family::kInet);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(ErrnoName(api_->SetInt(s.ret, IntOption::kSndBuf, 51200).err), "ENOPROTOOPT");
  EXPECT_TRUE(api_->SetInt(s.ret, IntOption::kRcvBuf, 8192).ok());
  EXPECT_EQ(api_->GetInt(s.ret, IntOption::kRcvBuf).ret, 8192);
  EXPECT_TRUE(api_->Close(s.ret).ok());
}

TEST_F(LwipSocketApiTest, NonBlockingFlagReachesLwip) {
  SysResult s = api_->Socket(Family::kInet);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(api_->SetNonBlocking(s.ret, true).ok());
  EXPECT_NE(lwip_fcntl(static_cast<int>(s.ret), F_GETFL, 0) & O_NONBLOCK, 0);
  ASSERT_TRUE(api_->SetNonBlocking(s.ret, false).ok());
  EXPECT_EQ(lwip_fcntl(static_cast<int>(s.ret), F_GETFL, 0) & O_NONBLOCK, 0);
  EXPECT_TRUE(api_->Close(s.ret).ok());
}

TEST_F(LwipSocketApiTest, ClosedHandleIsEbadf) {
  SysResult s = api_->Socket(Family::kInet);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(api_->Close(s.ret).ok());
  EXPECT_EQ(ErrnoName(api_->Close(s.ret).err), "EBADF");
  EXPECT_EQ(ErrnoName(api_->Shutdown(s.ret, ShutdownHow::kWrite).err), "EBADF");
}

TEST_F(LwipSocketApiTest, QueuesGiveUnreadBytesOnlyAndShutdownNeedsAConnection) {
  SysResult s = api_->Socket(Family::kInet);
  ASSERT_TRUE(s.ok());
  const SocketQueues q = api_->Queues(s.ret);
  EXPECT_FALSE(q.outq.has_value());  // lwIP has no call for its send queue
  EXPECT_EQ(ErrnoName(api_->Shutdown(s.ret, ShutdownHow::kWrite).err), "ENOTCONN");
  EXPECT_TRUE(api_->Close(s.ret).ok());
}

// SO_ERROR and poll are lwIP's; TCP_INFO, the socket table, dup, fork and
// the TCP-level options are not: those say "unsupported".
// lwIP's state comes from its control blocks: a socket without one is CLOSE,
// a listener LISTEN, and the socket table leaves listeners out.
TEST_F(LwipSocketApiTest, TcpStateAndTableComeFromLwipsControlBlocks) {
  EXPECT_EQ(LinuxStateOfLwip(0), 7);   // CLOSED -> CLOSE
  EXPECT_EQ(LinuxStateOfLwip(1), 10);  // LISTEN
  EXPECT_EQ(LinuxStateOfLwip(4), 1);   // ESTABLISHED
  EXPECT_EQ(LinuxStateOfLwip(7), 8);   // CLOSE_WAIT
  EXPECT_EQ(LinuxStateOfLwip(8), 11);  // CLOSING
  EXPECT_EQ(LinuxStateOfLwip(10), 6);  // TIME_WAIT
  EXPECT_EQ(LinuxStateOfLwip(11), 0);  // not an lwIP state
  EXPECT_EQ(LinuxStateOfLwip(-1), 0);
  SysResult s = api_->Socket(Family::kInet);
  ASSERT_TRUE(s.ok());
  TcpInfoSample info;
  ASSERT_TRUE(api_->TcpInfo(s.ret, &info).ok());
  EXPECT_EQ(info.state, 7);
  ASSERT_TRUE(api_->Bind(s.ret, "0.0.0.0", 5999).ok());
  ASSERT_TRUE(api_->Listen(s.ret, 4).ok());
  ASSERT_TRUE(api_->TcpInfo(s.ret, &info).ok());
  EXPECT_EQ(info.state, 10);
  std::vector<TcpTableEntry> table;
  ASSERT_TRUE(api_->TcpTable(5999, 64, &table).ok());
  EXPECT_TRUE(table.empty());
  EXPECT_TRUE(api_->Close(s.ret).ok());
  EXPECT_EQ(api_->TcpInfo(s.ret, &info).err, EBADF);
}

TEST_F(LwipSocketApiTest, SoErrorPollAndStateAreLwipsAndTheRestUnsupported) {
  SysResult s = api_->Socket(Family::kInet);
  ASSERT_TRUE(s.ok());
  SysResult err = api_->GetSoError(s.ret);
  EXPECT_TRUE(err.ok()) << ErrnoName(err.err);
  EXPECT_EQ(err.ret, 0);
  int revents = -1;
  SysResult p = api_->Poll(s.ret, 0, 0, &revents);
  EXPECT_TRUE(p.ok()) << ErrnoName(p.err);
  EXPECT_FALSE(p.unsupported);
  EXPECT_TRUE(api_->Dup(s.ret).unsupported);
  EXPECT_EQ(ErrnoName(api_->SetTcpInt(s.ret, TcpIntOption::kUserTimeout, 1).err), "ENOPROTOOPT");
  EXPECT_TRUE(api_->Close(s.ret).ok());
}

}  // namespace
}  // namespace lingerlab
