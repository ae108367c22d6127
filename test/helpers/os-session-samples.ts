// Recorded output of the OS tables the session lookup reads (src/os-session), written to the
// tools' formats for one scene: a host on 127.0.0.1:23518 and the browsers of several sessions
// connected to it. Localized Windows output is kept as the bytes the tools write in their OEM
// code page (CP949 for Korean, CP850 for German and French), read as latin1 as the runner does.

/** The port of the host in every sample. */
export const SERVER_PORT = 23518; // 0x5BDE

/** Bytes (hex) as the runner decodes them: one latin1 character per byte. */
function oem(hex: string): string {
  return Buffer.from(hex.replace(/\s/g, ''), 'hex').toString('latin1');
}

/** Windows tools end lines with CRLF. */
function crlf(lines: string[]): string {
  return `${lines.join('\r\n')}\r\n`;
}

// ---------------------------------------------------------------------------------------------
// Linux: /proc/net/tcp and /proc/net/tcp6 on x86-64 (little-endian words). The host is uid 1001,
// its own tab 50121, a student's tab (uid 1002) on 50123.

const TCP_HEADER =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     ';

export const PROC_NET_TCP = `${[
  TCP_HEADER,
  // the host listening
  '   0: 0100007F:5BDE 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1001        0 470216 1 00000000a63e4253 100 0 0 10 0                    ',
  // sshd on the LAN: not loopback
  '   1: 0F02000A:0016 0202000A:D4A2 01 00000000:00000000 02:0009F3A1 00000000     0        0 30123 4 00000000f02a1b3c 20 4 31 10 -1                    ',
  // the host's own tab: host side, then client side (same uid)
  '   2: 0100007F:5BDE 0100007F:C3C9 01 00000000:00000000 00:00000000 00000000  1001        0 470230 1 000000009e78ac9a 20 0 0 10 -1                    ',
  '   3: 0100007F:C3C9 0100007F:5BDE 01 00000000:00000000 00:00000000 00000000  1001        0 470229 1 00000000e8e6597f 20 0 0 10 -1                    ',
  // the student's tab: the host's side of it (ports swapped, uid of the host) ...
  '   4: 0100007F:5BDE 0100007F:C3CB 01 00000000:00000000 00:00000000 00000000  1001        0 470219 1 000000009e78ac9b 20 0 0 10 -1                    ',
  // ... and the browser's side: this row names the student
  '   5: 0100007F:C3CB 0100007F:5BDE 01 00000000:00000000 00:00000000 00000000  1002        0 470217 2 00000000e8e65980 20 0 0 10 -1                    ',
  // a tab that left: its port 50124 is in TIME_WAIT, which shows uid 0 and no inode
  '   6: 0100007F:C3CC 0100007F:5BDE 06 00000000:00000000 03:0000175C 00000000     0        0 0 3 00000000df877a8c                                      ',
  // the same port 50124, reused by another user's program towards another server (8080)
  '   7: 0100007F:C3CC 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1003        0 471002 1 00000000aa11bb22 20 0 0 10 -1                    ',
  // a closing tab (50125): the browser closed (FIN_WAIT2, orphaned: inode 0), the host's side in CLOSE_WAIT
  '   8: 0100007F:C3CD 0100007F:5BDE 05 00000000:00000000 00:00000000 00000000  1004        0 0 1 00000000aa11bb33 20 0 0 10 -1                     ',
  '   9: 0100007F:5BDE 0100007F:C3CD 08 00000000:00000001 00:00000000 00000000  1001        0 470240 1 00000000aa11bb44 20 0 0 10 -1                    ',
  // a tab of a user outside this process's user namespace (50128): the overflow uid
  '  10: 0100007F:C3D0 0100007F:5BDE 01 00000000:00000000 00:00000000 00000000 65534        0 471100 1 00000000aa11bb55 20 0 0 10 -1                    ',
].join('\n')}\n`;

const TCP6_HEADER =
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';

export const PROC_NET_TCP6 = `${[
  TCP6_HEADER,
  // a dual-stack browser socket connected to ::ffff:127.0.0.1 (50126, uid 1005); the host's side is in tcp (IPv4)
  '   0: 0000000000000000FFFF00000100007F:C3CE 0000000000000000FFFF00000100007F:5BDE 01 00000000:00000000 00:00000000 00000000  1005        0 470218 2 000000005f897f89 20 0 0 10 -1',
  // a host listening on ::1 too, and a client over ::1 (50127, uid 1006)
  '   1: 00000000000000000000000001000000:5BDE 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1001        0 470300 1 000000005f897f90 100 0 0 10 0',
  '   2: 00000000000000000000000001000000:C3CF 00000000000000000000000001000000:5BDE 01 00000000:00000000 00:00000000 00000000  1006        0 470301 2 000000005f897f91 20 0 0 10 -1',
  '   3: 00000000000000000000000001000000:5BDE 00000000000000000000000001000000:C3CF 01 00000000:00000000 00:00000000 00000000  1001        0 470302 1 000000005f897f92 20 0 0 10 -1',
].join('\n')}\n`;

/** The same student's row as printed on a big-endian machine (s390x): words in network order. */
export const PROC_NET_TCP_BIG_ENDIAN = `${[
  TCP_HEADER,
  '   0: 7F000001:5BDE 7F000001:C3CB 01 00000000:00000000 00:00000000 00000000  1001        0 470219 1 000000009e78ac9b 20 0 0 10 -1',
  '   1: 7F000001:C3CB 7F000001:5BDE 01 00000000:00000000 00:00000000 00000000  1002        0 470217 2 00000000e8e65980 20 0 0 10 -1',
].join('\n')}\n`;

// ---------------------------------------------------------------------------------------------
// Windows: `netstat -ano -p TCP` and `tasklist /FO CSV /NH` on a Remote Desktop server. The host
// (entry-hw-server.exe, PID 5120) runs in session 2; the browser of session 2 is PID 7788, of
// session 5 PID 9120. Client ports: 50123 (session 2), 50124 (session 5), 50125 (left, TIME_WAIT),
// 50126 (closing).

export const HOST_PID = 5120;

export const NETSTAT_EN = crlf([
  '',
  'Active Connections',
  '',
  '  Proto  Local Address          Foreign Address        State           PID',
  '  TCP    0.0.0.0:135            0.0.0.0:0              LISTENING       1028',
  '  TCP    0.0.0.0:445            0.0.0.0:0              LISTENING       4',
  '  TCP    0.0.0.0:3389           0.0.0.0:0              LISTENING       1290',
  '  TCP    10.0.0.12:3389         10.0.0.77:51544        ESTABLISHED     1290',
  '  TCP    127.0.0.1:23518        0.0.0.0:0              LISTENING       5120',
  '  TCP    127.0.0.1:23518        127.0.0.1:50123        ESTABLISHED     5120',
  '  TCP    127.0.0.1:23518        127.0.0.1:50124        ESTABLISHED     5120',
  '  TCP    127.0.0.1:23518        127.0.0.1:50126        CLOSE_WAIT      5120',
  '  TCP    127.0.0.1:50123        127.0.0.1:23518        ESTABLISHED     7788',
  '  TCP    127.0.0.1:50124        127.0.0.1:23518        ESTABLISHED     9120',
  '  TCP    127.0.0.1:50125        127.0.0.1:23518        TIME_WAIT       0',
  '  TCP    127.0.0.1:50126        127.0.0.1:23518        FIN_WAIT_2      9120',
  '  TCP    127.0.0.1:50127        127.0.0.1:8080         ESTABLISHED     7788',
]);

/** German Windows (CP850): translated header and states; ABHÖREN has an Ö (0x99). */
export const NETSTAT_DE = crlf([
  '',
  'Aktive Verbindungen',
  '',
  '  Proto  Lokale Adresse         Remoteadresse          Status           PID',
  `  TCP    127.0.0.1:23518        0.0.0.0:0              ${oem('41424899 52454e')}         5120`,
  '  TCP    127.0.0.1:23518        127.0.0.1:50123        HERGESTELLT     5120',
  '  TCP    127.0.0.1:23518        127.0.0.1:50124        HERGESTELLT     5120',
  '  TCP    127.0.0.1:50123        127.0.0.1:23518        HERGESTELLT     7788',
  '  TCP    127.0.0.1:50124        127.0.0.1:23518        HERGESTELLT     9120',
  '  TCP    127.0.0.1:50125        127.0.0.1:23518        WARTEND         0',
]);

/** Korean Windows (CP949): translated header ("활성 연결", "프로토콜 로컬 주소 외부 주소 상태"), English states. */
export const NETSTAT_KO = crlf([
  '',
  oem('c8b0bcba20bfacb0e1'),
  '',
  `  ${oem('c7c1b7cec5e4c4dd')}  ${oem('b7cec4c320c1d6bcd2')}              ${oem('bfdcbace20c1d6bcd2')}              ${oem('bbf3c5c2')}            PID`,
  '  TCP    127.0.0.1:23518        0.0.0.0:0              LISTENING       5120',
  '  TCP    127.0.0.1:23518        127.0.0.1:50123        ESTABLISHED     5120',
  '  TCP    127.0.0.1:23518        127.0.0.1:50124        ESTABLISHED     5120',
  '  TCP    127.0.0.1:50123        127.0.0.1:23518        ESTABLISHED     7788',
  '  TCP    127.0.0.1:50124        127.0.0.1:23518        ESTABLISHED     9120',
]);

/** `netstat -ano` (both families): IPv6 rows are bracketed; UDP rows have no state. */
export const NETSTAT_BOTH_FAMILIES = crlf([
  '',
  'Active Connections',
  '',
  '  Proto  Local Address          Foreign Address        State           PID',
  '  TCP    127.0.0.1:23518        127.0.0.1:50123        ESTABLISHED     5120',
  '  TCP    127.0.0.1:50123        127.0.0.1:23518        ESTABLISHED     7788',
  '  TCP    [::]:135               [::]:0                 LISTENING       1028',
  '  TCP    [::1]:23518            [::1]:50130            ESTABLISHED     5120',
  '  TCP    [::1]:50130            [::1]:23518            ESTABLISHED     9120',
  '  TCP    [fe80::1%4]:50200      [fe80::2%4]:445        ESTABLISHED     4',
  '  UDP    0.0.0.0:500            *:*                                    3376',
  '  UDP    [::1]:1900             *:*                                    5032',
]);

export const TASKLIST_EN = crlf([
  '"System Idle Process","0","Services","0","8 K"',
  '"System","4","Services","0","144 K"',
  '"svchost.exe","1028","Services","0","12,304 K"',
  '"svchost.exe","1290","Services","0","21,770 K"',
  '"entry-hw-server.exe","5120","RDP-Tcp#1","2","48,120 K"',
  '"Entry HW.exe","5100","RDP-Tcp#1","2","120,120 K"',
  '"chrome.exe","7788","RDP-Tcp#1","2","201,884 K"',
  '"chrome.exe","9120","RDP-Tcp#4","5","187,002 K"',
  '"Entry HW.exe","9300","RDP-Tcp#4","5","119,800 K"',
  '"my, ""quoted"" app.exe","9400","RDP-Tcp#4","5","1,024 K"',
]);

/** German (CP850): dots group the memory column. */
export const TASKLIST_DE = crlf([
  '"System","4","Services","0","144 K"',
  '"entry-hw-server.exe","5120","RDP-Tcp#1","2","48.120 K"',
  '"chrome.exe","7788","RDP-Tcp#1","2","201.884 K"',
  '"chrome.exe","9120","RDP-Tcp#4","5","187.002 K"',
]);

/** French (CP850): a no-break space (0xFF) groups the memory column, "Ko" for KB. */
export const TASKLIST_FR = crlf([
  `"entry-hw-server.exe","5120","RDP-Tcp#1","2","48${oem('ff')}120 Ko"`,
  `"chrome.exe","7788","RDP-Tcp#1","2","201${oem('ff')}884 Ko"`,
  `"chrome.exe","9120","RDP-Tcp#4","5","187${oem('ff')}002 Ko"`,
]);

/** Korean (CP949): the console session is called "콘솔", an image named "탐색기.exe". */
export const TASKLIST_KO = crlf([
  `"${oem('c5bdbbf6b1e2')}.exe","4012","${oem('c4dcbcd6')}","1","98,216 K"`,
  '"entry-hw-server.exe","5120","RDP-Tcp#1","2","48,120 K"',
  '"chrome.exe","7788","RDP-Tcp#1","2","201,884 K"',
  '"chrome.exe","9120","RDP-Tcp#4","5","187,002 K"',
]);

/** `tasklist /FO CSV /NH /FI "PID eq 5120"`. */
export const TASKLIST_OWN = crlf(['"entry-hw-server.exe","5120","RDP-Tcp#1","2","48,120 K"']);

/** The same filter when no process matches: an INFO line, not CSV (English, then Korean). */
export const TASKLIST_NONE_EN = crlf(['INFO: No tasks are running which match the specified criteria.']);
export const TASKLIST_NONE_KO = crlf([
  oem(
    'c1a4bab83a20c1f6c1a4b5c820c1b6b0c7bfa120c0cfc4a1c7cfb4c220c0dbbef7c0cc20bdc7c7e0b5c7b0ed20c0d6c1f620beca bdc0b4cfb4d92e',
  ),
]);

// ---------------------------------------------------------------------------------------------
// macOS: `lsof -n -P -w -iTCP:23518 -sTCP:ESTABLISHED -FpufnT`. The host (PID 612, uid 501); its
// user's browser (PID 7788) holds 50123 on two descriptors, and a helper it forked (PID 7790)
// shares it; 50130 is over ::1. Run as root, lsof also shows other users: 50124 is held by
// processes of two different users (uid 502 and 503), and 50126 is closing.

export const LSOF_DARWIN = `${[
  'p612',
  'u501',
  'f26',
  'n*:23518',
  'TST=LISTEN',
  'TQR=0',
  'TQS=0',
  'f27',
  'n127.0.0.1:23518->127.0.0.1:50123',
  'TST=ESTABLISHED',
  'TQR=0',
  'TQS=0',
  'f28',
  'n127.0.0.1:23518->127.0.0.1:50124',
  'TST=ESTABLISHED',
  'TQR=0',
  'TQS=0',
  'f29',
  'n[::1]:23518->[::1]:50130',
  'TST=ESTABLISHED',
  'p7788',
  'u501',
  'f31',
  'n127.0.0.1:50123->127.0.0.1:23518',
  'TST=ESTABLISHED',
  'TQR=0',
  'TQS=0',
  'f35',
  'n127.0.0.1:50123->127.0.0.1:23518',
  'TST=ESTABLISHED',
  'TQR=0',
  'TQS=0',
  'f40',
  'n[::1]:50130->[::1]:23518',
  'TST=ESTABLISHED',
  'p7790',
  'u501',
  'f12',
  'n127.0.0.1:50123->127.0.0.1:23518',
  'TST=ESTABLISHED',
  'p9120',
  'u502',
  'f44',
  'n127.0.0.1:50124->127.0.0.1:23518',
  'TST=ESTABLISHED',
  'p9300',
  'u503',
  'f9',
  'n127.0.0.1:50124->127.0.0.1:23518',
  'TST=ESTABLISHED',
  'p9500',
  'u504',
  'f7',
  'n127.0.0.1:50126->127.0.0.1:23518',
  'TST=CLOSE_WAIT',
].join('\n')}\n`;

/** Older lsof builds print no `f` lines unless asked for; names follow each other. */
export const LSOF_WITHOUT_FD_LINES = `${[
  'p7788',
  'u501',
  'n127.0.0.1:50123->127.0.0.1:23518',
  'TST=ESTABLISHED',
  'n127.0.0.1:50127->127.0.0.1:8080',
  'TST=ESTABLISHED',
].join('\n')}\n`;
