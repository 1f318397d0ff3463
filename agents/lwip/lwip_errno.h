// The error numbers lwIP 2.1.3's socket layer sets, as this platform's
// errno values (which ErrnoName turns into the portable names).
//
// lwIP keeps its own errno numbering (lwip/errno.h, LWIP_PROVIDE_ERRNO) unless
// its port includes the C library's <errno.h> (Debian's liblwip does:
// LWIP_ERRNO_STDINCLUDE in arch/cc.h). This table goes by lwIP's numbering
// and so is right for both builds. A pure function: no lwIP call, no state.
#pragma once

namespace lingerlab {

// lwIP's own errno numbers for the errors its sockets report (lwip/errno.h,
// lwIP 2.1.3; they follow Linux's numbering).
namespace lwip_errno {
constexpr int kEPERM = 1, kENOENT = 2, kEINTR = 4, kEIO = 5, kEBADF = 9, kEAGAIN = 11, kENOMEM = 12,
              kEFAULT = 14, kEBUSY = 16, kEINVAL = 22, kENFILE = 23, kEMFILE = 24, kEPIPE = 32,
              kENOTSOCK = 88, kEDESTADDRREQ = 89, kEMSGSIZE = 90, kENOPROTOOPT = 92,
              kEOPNOTSUPP = 95, kEAFNOSUPPORT = 97, kEADDRINUSE = 98, kEADDRNOTAVAIL = 99,
              kENETDOWN = 100, kENETUNREACH = 101, kECONNABORTED = 103, kECONNRESET = 104,
              kENOBUFS = 105, kEISCONN = 106, kENOTCONN = 107, kETIMEDOUT = 110,
              kECONNREFUSED = 111, kEHOSTUNREACH = 113, kEALREADY = 114, kEINPROGRESS = 115;
}  // namespace lwip_errno

// The host errno value for lwIP's error `lwip_err` (EWOULDBLOCK for lwIP's
// EAGAIN/EWOULDBLOCK, which are one number there). 0 stays 0; a number
// lwIP's sockets never set is returned unchanged (ErrnoName then gives
// "E<number>").
int HostErrnoFromLwip(int lwip_err);

}  // namespace lingerlab
