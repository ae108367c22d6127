// The words of the diagnostics page, in English and Korean. Teachers read them, so they
// are plain, and every problem comes with its fix. `{name}` blanks are filled on the page from
// the bundle's facts (as text, never as HTML). Also picks the language from Accept-Language.

export type Lang = 'en' | 'ko';

/**
 * The button on the Entry page that opens the `entryhw://` link, as entryjs labels it
 * (`ARDUINO_open_connector`, `ARDUINO_cloud_pc_connector`): pressed while Entry HW runs, it sends
 * Entry HW the page's room number (`addRoomId`); a first start does not (docs/PROTOCOL.md §4).
 */
const BUTTON_EN = 'the hardware-connect button (“Open program” or “Connect to Cloud PC”)';
const BUTTON_KO = '하드웨어 연결 버튼(‘연결 프로그램 열기’ 또는 ‘클라우드 PC 연결하기’)';

/** One text table; the keys are the same in every language (the unit tests check it). */
export type Texts = Record<string, string>;

const en: Texts = {
  title: 'Entry HW diagnostics',
  intro:
    'This page shows whether Entry can talk to the robot or board on this computer. It updates every second.',
  download: 'Download the support file',
  downloadHint:
    'Send this file to your help desk. It contains no names, no room numbers and no student data.',
  live: 'Updated {time}',
  offline:
    'The server is not answering. Retrying… (for a few seconds this is normal when another Entry HW takes over)',
  otherLanguage: '한국어',
  // sections
  server: 'This server',
  checks: 'Checks',
  reach: 'Can this browser reach the server?',
  rooms: 'Rooms',
  problems: 'Recent problems',
  // server facts
  version: 'Version',
  node: 'Node.js',
  platform: 'System',
  uptime: 'Running for',
  port: 'Port',
  role: 'Role',
  'role.host': 'Host (holds the port)',
  'role.peer': 'Joined another Entry HW',
  'role.starting': 'Starting',
  cloudMode: 'Mode',
  'cloudMode.single': 'One user',
  'cloudMode.cloud': 'Cloud PC (several users on this computer)',
  'cloudMode.null': 'Not decided yet',
  tls: 'Secure connection (wss)',
  'tls.on': 'On, certificate valid until {date} ({days} days left)',
  'tls.off': 'Off',
  plainWs: 'Plain connection (ws://127.0.0.1)',
  'plainWs.on': 'On',
  'plainWs.off': 'Off',
  logFile: 'Log file',
  'logFile.problem': '{path} (not written now: {problem})',
  'logFile.none': 'None now: {problem}',
  connected: 'Connected',
  seconds: '{n} s',
  minutes: '{m} min {s} s',
  hours: '{h} h {m} min',
  // status words
  'status.ok': 'OK',
  'status.warning': 'Warning',
  'status.problem': 'Problem',
  'status.pending': 'Checking',
  fix: 'What to do:',
  // checks
  'dns.loopback': '{name} points to this computer.',
  'dns.elsewhere':
    '{name} does not point to this computer. The secure connection fails; Chrome, Edge and Firefox switch to the plain connection after about 6 seconds, and Safari cannot connect at all.',
  'dns.unresolved':
    '{name} could not be looked up. The secure connection fails; Chrome, Edge and Firefox switch to the plain connection after about 6 seconds, and Safari cannot connect at all.',
  'dns.timeout':
    'Looking up {name} took too long. The secure connection may fail; Chrome, Edge and Firefox then switch to the plain connection after about 6 seconds, and Safari cannot connect.',
  'dns.pending': 'Looking up {name}…',
  'dns.fix':
    'Ask the network administrator to let {name} resolve to 127.0.0.1 (allow it in the DNS filter or its rebinding protection). Until then, use Chrome or Edge.',
  'certificate.valid': 'The security certificate is valid until {date} ({days} days left).',
  'certificate.expiring-soon': 'The security certificate expires on {date} ({days} days left).',
  'certificate.expiring-soon.fix':
    'Update Entry HW before that date. After it, only the plain connection works and Safari cannot connect.',
  'certificate.expired':
    'The security certificate expired on {date}, so the secure connection is off. Chrome, Edge and Firefox use the plain connection instead; Safari cannot connect.',
  'certificate.expired.fix': 'Install the latest Entry HW.',
  'certificate.none':
    'This Entry HW has no security certificate, so only the plain connection works (not in Safari).',
  'certificate.none.fix': 'Install the latest Entry HW.',
  'certificate.plain-by-option': 'This program was started for plain connections only.',
  'port.host': 'This program holds port {port}, as it should.',
  'port.host-after-foreign':
    'This program holds port {port} now, but at {foreignAt} another program held it: {foreignDetail}',
  'port.host-after-foreign.fix':
    'If Entry stops connecting again, close the other program that uses port {port}, or restart the computer.',
  'port.peer': 'Another Entry HW on this computer holds port {port}; this one joined it.',
  'port.foreign': 'Another program holds port {port} (seen at {foreignAt}): {foreignDetail}',
  'port.foreign.fix': 'Close that program, or restart the computer, then start Entry HW again.',
  'port.starting': 'Starting on port {port}…',
  // what the page tries itself
  'reach.checking': 'Trying {url}…',
  'reach.ok': 'This browser reached {url}.',
  'reach.failed': 'This browser could not reach {url}.',
  'reach.wss.fix':
    'Usually the certificate or the school’s DNS (see Checks). Chrome, Edge and Firefox still connect through the plain address; Safari needs this one.',
  'reach.ws.fix':
    'Security software or a browser extension may be blocking it. Allow 127.0.0.1 there, or try another browser.',
  'reach.retry': 'Try again',
  'lna.title': 'If the Entry website still cannot connect',
  'lna.body':
    'This page comes from this computer itself, so Chrome’s “local network access” permission does not apply to it. The Entry website does need it: Chrome and Edge ask whether playentry.org may connect to devices on your local network. If someone chose Block or closed that question, Entry cannot connect even when everything here is OK.',
  'lna.onePc':
    'On one computer: open playentry.org, click the icon left of the address, open Site settings, set “Local network access” to Allow, and reload the page.',
  'lna.managed':
    'On managed computers: set the Chrome or Edge policy LocalNetworkAccessAllowedForUrls (in older versions LoopbackNetworkAllowedForUrls) to https://playentry.org and https://[*.]playentry.org.',
  // rooms
  'rooms.none': 'No Entry tab and no Entry HW is attached yet.',
  'col.room': 'Room',
  'col.instance': 'Entry HW',
  'col.device': 'Device',
  'col.browser': 'Entry tab',
  'col.rate': 'Messages per second (tab → HW / HW → tab)',
  'col.held': 'Waiting',
  'col.dropped': 'Lost',
  'col.state': 'State',
  'room.none': '(no room id)',
  'instance.host': 'Yes (this computer’s host)',
  'instance.peer': 'Yes (joined)',
  'instance.null': 'None',
  'col.pairing': 'Paired by',
  'pairing.room-id': 'room number from Entry HW',
  'pairing.os-session': 'same OS session (automatic)',
  'pairing.single-pc': 'the only Entry HW on this PC',
  'pairing.none': 'not paired',
  'gap.session-pending': 'looking up who opened the tab',
  'gap.session-unknown': 'the OS could not tell who opened the tab',
  'gap.no-instance-of-session': 'no Entry HW runs in that OS session yet',
  'gap.several-instances-of-session': 'two Entry HW run in that OS session',
  'gap.tabs-of-different-sessions': 'tabs of this room come from different OS sessions',
  'gap.memory-full': 'too many rooms paired at once',
  'device.connected': 'Connected ({moduleId})',
  'device.failed': 'Could not connect',
  'device.not-reported': 'Not reported',
  'browser.connected': 'Connected',
  'browser.tabs': 'Connected ({n} tabs)',
  'browser.left': 'Left {s} s ago',
  'browser.none': 'Not connected',
  'dropped.no-instance-for-room': 'no Entry HW for this room',
  'dropped.instance-without-room': 'Entry HW without a room number',
  'state.ok': 'Working.',
  'state.single-pc':
    'Connected. This is the only Entry HW on this computer, so it serves every Entry tab here (the usual case with one user).',
  'state.single-pc-several-rooms':
    'This is the only Entry HW on this computer and it has no room number, so it serves every Entry tab here, and tabs with different room numbers are connected. That is fine for one person with two browsers; on a shared computer, other students’ tabs reach this device too.',
  'state.single-pc-several-rooms.fix': `On a shared computer, press ${BUTTON_EN} on the Entry page of the student whose device this is. Entry HW then serves only that page.`,
  'state.device-failed': 'Entry HW could not connect the device.',
  'state.device-failed.fix':
    'Check the USB cable and that the right device is chosen in Entry HW, then unplug it and plug it in again.',
  'state.no-instance':
    'An Entry tab is open, but no Entry HW on this computer has its room number, so it reaches no device.',
  'state.no-instance.fix': `On this student’s Entry page, press ${BUTTON_EN}. If that starts Entry HW, press it once more when Entry HW is open: a first start does not pass on the room number.`,
  'state.no-browser': 'Entry HW is running, but no Entry tab is connected to it.',
  'state.no-browser.fix':
    'Open Entry (playentry.org) in Chrome or Edge in the same session. If it still does not connect, read “Can this browser reach the server?” above.',
  'state.browser-left': 'The Entry tab left {s} s ago.',
  'state.browser-left.fix': 'If the student still has Entry open, reload that tab.',
  'state.instance-without-room':
    'This Entry HW does not know its room number. Other Entry HW run on this computer, so it cannot tell which Entry tab is its student’s, and it serves none.',
  'state.instance-without-room.fix': `Press ${BUTTON_EN} again on the Entry page of the student this Entry HW belongs to. That sends it the room number.`,
  'state.room-taken':
    'This Entry HW asked for room {room}, but another Entry HW on this computer held that room first, so it was refused and serves no Entry tab.',
  'state.room-taken.fix': `Close the Entry HW that is not needed (for example one left open in another session of the same student), then press ${BUTTON_EN} again on the Entry page.`,
  // recent problems
  'problems.none': 'No problems recorded.',
  'col.time': 'Time',
  'col.level': 'Level',
  'col.message': 'Message',
  'level.warning': 'Warning',
  'level.error': 'Error',
  'level.refused': 'Refused',
  'problems.repeated': '(×{n})',
  'problems.refusals':
    'Refused or ignored {n} requests from other programs or web pages. A few are normal; many mean a program or a web page keeps trying.',
  'problems.refusalKind': '{kind}: {n}, the latest: {latest}',
  'refusal.host': 'naming another host',
  'refusal.origin': 'from a web page that is not allowed',
  'refusal.jsonp': 'JSONP',
  'refusal.bad-request': 'unreadable',
  'refusal.handshake': 'refused connection requests',
  'refusal.tls': 'failed secure connections',
  'refusal.slow': 'too slow',
  'refusal.slots': 'closed to keep places for Entry pages',
  'refusal.size': 'messages too large',
  'refusal.memory': 'large messages while the server was busy',
  'refusal.event': 'unknown events',
  'refusal.claims': 'too many room claims',
};

const ko: Texts = {
  title: '엔트리 하드웨어 진단',
  intro: '이 컴퓨터에 연결한 로봇이나 보드와 엔트리가 통신할 수 있는지 보여 줍니다. 1초마다 새로 고쳐집니다.',
  download: '지원용 파일 내려받기',
  downloadHint: '이 파일을 지원 담당자에게 보내 주세요. 이름, 방 번호, 학생 데이터는 들어 있지 않습니다.',
  live: '{time}에 갱신됨',
  offline:
    '서버가 응답하지 않습니다. 다시 시도하는 중… (다른 엔트리 하드웨어가 이어받는 몇 초 동안은 정상입니다)',
  otherLanguage: 'English',
  server: '이 서버',
  checks: '점검',
  reach: '이 브라우저가 서버에 연결할 수 있나요?',
  rooms: '방',
  problems: '최근 문제',
  version: '버전',
  node: 'Node.js',
  platform: '시스템',
  uptime: '실행 시간',
  port: '포트',
  role: '역할',
  'role.host': '호스트 (포트를 사용 중)',
  'role.peer': '다른 엔트리 하드웨어에 참여',
  'role.starting': '시작하는 중',
  cloudMode: '모드',
  'cloudMode.single': '사용자 한 명',
  'cloudMode.cloud': '클라우드 PC (이 컴퓨터에 여러 사용자)',
  'cloudMode.null': '아직 정해지지 않음',
  tls: '보안 연결 (wss)',
  'tls.on': '켜짐, 인증서 유효 기간 {date}까지 ({days}일 남음)',
  'tls.off': '꺼짐',
  plainWs: '일반 연결 (ws://127.0.0.1)',
  'plainWs.on': '켜짐',
  'plainWs.off': '꺼짐',
  logFile: '로그 파일',
  'logFile.problem': '{path} (지금은 쓰지 못함: {problem})',
  'logFile.none': '지금은 없음: {problem}',
  connected: '연결됨',
  seconds: '{n}초',
  minutes: '{m}분 {s}초',
  hours: '{h}시간 {m}분',
  'status.ok': '정상',
  'status.warning': '주의',
  'status.problem': '문제',
  'status.pending': '확인 중',
  fix: '해결 방법:',
  'dns.loopback': '{name} 주소가 이 컴퓨터를 가리킵니다.',
  'dns.elsewhere':
    '{name} 주소가 이 컴퓨터를 가리키지 않습니다. 보안 연결이 실패하며, 크롬·엣지·파이어폭스는 약 6초 뒤 일반 연결로 바꾸고, 사파리는 연결할 수 없습니다.',
  'dns.unresolved':
    '{name} 주소를 찾을 수 없습니다. 보안 연결이 실패하며, 크롬·엣지·파이어폭스는 약 6초 뒤 일반 연결로 바꾸고, 사파리는 연결할 수 없습니다.',
  'dns.timeout':
    '{name} 주소를 찾는 데 너무 오래 걸립니다. 보안 연결이 실패할 수 있으며, 그러면 크롬·엣지·파이어폭스는 약 6초 뒤 일반 연결로 바꾸고, 사파리는 연결할 수 없습니다.',
  'dns.pending': '{name} 주소를 확인하는 중…',
  'dns.fix':
    '네트워크 관리자에게 {name} 주소가 127.0.0.1로 연결되도록 허용해 달라고 요청하세요 (DNS 필터나 리바인딩 보호 설정). 그동안은 크롬이나 엣지를 사용하세요.',
  'certificate.valid': '보안 인증서가 {date}까지 유효합니다 ({days}일 남음).',
  'certificate.expiring-soon': '보안 인증서가 {date}에 만료됩니다 ({days}일 남음).',
  'certificate.expiring-soon.fix':
    '그 전에 엔트리 하드웨어를 업데이트하세요. 만료되면 일반 연결만 되고 사파리는 연결할 수 없습니다.',
  'certificate.expired':
    '보안 인증서가 {date}에 만료되어 보안 연결이 꺼져 있습니다. 크롬·엣지·파이어폭스는 일반 연결을 대신 사용하고, 사파리는 연결할 수 없습니다.',
  'certificate.expired.fix': '최신 엔트리 하드웨어를 설치하세요.',
  'certificate.none': '이 엔트리 하드웨어에는 보안 인증서가 없어 일반 연결만 됩니다 (사파리 불가).',
  'certificate.none.fix': '최신 엔트리 하드웨어를 설치하세요.',
  'certificate.plain-by-option': '이 프로그램은 일반 연결 전용으로 시작되었습니다.',
  'port.host': '이 프로그램이 {port} 포트를 사용하고 있습니다. 정상입니다.',
  'port.host-after-foreign':
    '지금은 이 프로그램이 {port} 포트를 사용하지만, {foreignAt}에 다른 프로그램이 사용하고 있었습니다: {foreignDetail}',
  'port.host-after-foreign.fix':
    '다시 연결되지 않으면 {port} 포트를 쓰는 다른 프로그램을 닫거나 컴퓨터를 다시 시작하세요.',
  'port.peer':
    '이 컴퓨터의 다른 엔트리 하드웨어가 {port} 포트를 사용하고 있고, 이 프로그램은 거기에 참여했습니다.',
  'port.foreign': '다른 프로그램이 {port} 포트를 사용하고 있습니다 ({foreignAt}에 확인): {foreignDetail}',
  'port.foreign.fix': '그 프로그램을 닫거나 컴퓨터를 다시 시작한 뒤 엔트리 하드웨어를 다시 실행하세요.',
  'port.starting': '{port} 포트에서 시작하는 중…',
  'reach.checking': '{url} 연결을 시도하는 중…',
  'reach.ok': '이 브라우저가 {url}에 연결했습니다.',
  'reach.failed': '이 브라우저가 {url}에 연결하지 못했습니다.',
  'reach.wss.fix':
    '대개 인증서나 학교 DNS 때문입니다 (점검 항목 참고). 크롬·엣지·파이어폭스는 일반 주소로 연결되지만, 사파리는 이 주소가 필요합니다.',
  'reach.ws.fix':
    '보안 프로그램이나 브라우저 확장 프로그램이 막고 있을 수 있습니다. 그곳에서 127.0.0.1을 허용하거나 다른 브라우저를 사용해 보세요.',
  'reach.retry': '다시 시도',
  'lna.title': '엔트리 사이트가 여전히 연결되지 않으면',
  'lna.body':
    '이 페이지는 이 컴퓨터에서 바로 열리기 때문에 크롬의 “로컬 네트워크 액세스” 권한과 상관없습니다. 하지만 엔트리 사이트에는 이 권한이 필요합니다. 크롬과 엣지는 playentry.org가 로컬 네트워크의 기기에 연결해도 되는지 묻습니다. 누군가 “차단”을 눌렀거나 질문을 닫았다면, 여기서 모두 정상이어도 엔트리는 연결할 수 없습니다.',
  'lna.onePc':
    '컴퓨터 한 대: playentry.org를 열고 주소 왼쪽 아이콘을 눌러 사이트 설정에서 “로컬 네트워크 액세스”를 허용으로 바꾼 뒤 페이지를 새로 고치세요.',
  'lna.managed':
    '관리되는 컴퓨터: 크롬 또는 엣지 정책 LocalNetworkAccessAllowedForUrls (이전 버전은 LoopbackNetworkAllowedForUrls)에 https://playentry.org 와 https://[*.]playentry.org 를 넣으세요.',
  'rooms.none': '아직 연결된 엔트리 탭이나 엔트리 하드웨어가 없습니다.',
  'col.room': '방',
  'col.instance': '엔트리 하드웨어',
  'col.device': '기기',
  'col.browser': '엔트리 탭',
  'col.rate': '초당 메시지 (탭 → 하드웨어 / 하드웨어 → 탭)',
  'col.held': '대기 중',
  'col.dropped': '잃어버림',
  'col.state': '상태',
  'room.none': '(방 번호 없음)',
  'instance.host': '있음 (이 컴퓨터의 호스트)',
  'instance.peer': '있음 (참여)',
  'instance.null': '없음',
  'col.pairing': '연결 방식',
  'pairing.room-id': '엔트리 하드웨어가 알려 준 방 번호',
  'pairing.os-session': '같은 OS 세션(자동)',
  'pairing.single-pc': '이 컴퓨터의 유일한 엔트리 하드웨어',
  'pairing.none': '연결 안 됨',
  'gap.session-pending': '탭을 연 사용자를 확인하는 중',
  'gap.session-unknown': '탭을 연 사용자를 OS가 알려 주지 못함',
  'gap.no-instance-of-session': '그 OS 세션에서 실행 중인 엔트리 하드웨어가 아직 없음',
  'gap.several-instances-of-session': '그 OS 세션에서 엔트리 하드웨어가 두 개 실행 중',
  'gap.tabs-of-different-sessions': '이 방의 탭들이 서로 다른 OS 세션에서 열림',
  'gap.memory-full': '한꺼번에 연결된 방이 너무 많음',
  'device.connected': '연결됨 ({moduleId})',
  'device.failed': '연결 실패',
  'device.not-reported': '알림 없음',
  'browser.connected': '연결됨',
  'browser.tabs': '연결됨 (탭 {n}개)',
  'browser.left': '{s}초 전에 나감',
  'browser.none': '연결 안 됨',
  'dropped.no-instance-for-room': '이 방의 엔트리 하드웨어 없음',
  'dropped.instance-without-room': '방 번호가 없는 엔트리 하드웨어',
  'state.ok': '정상 작동 중.',
  'state.single-pc':
    '연결됨. 이 컴퓨터의 엔트리 하드웨어는 이것 하나뿐이라 모든 엔트리 탭을 맡습니다 (사용자가 한 명일 때의 보통 경우).',
  'state.single-pc-several-rooms':
    '이 컴퓨터에는 엔트리 하드웨어가 이것 하나뿐이고 방 번호가 없어서 모든 엔트리 탭을 맡는데, 지금 방 번호가 서로 다른 탭이 연결되어 있습니다. 한 사람이 브라우저 두 개를 쓰는 경우라면 괜찮지만, 여러 학생이 함께 쓰는 컴퓨터라면 다른 학생의 탭도 이 기기를 움직일 수 있습니다.',
  'state.single-pc-several-rooms.fix': `여러 학생이 함께 쓰는 컴퓨터라면, 이 기기를 쓰는 학생의 엔트리 화면에서 ${BUTTON_KO}을 누르세요. 그러면 엔트리 하드웨어가 그 화면만 맡습니다.`,
  'state.device-failed': '엔트리 하드웨어가 기기를 연결하지 못했습니다.',
  'state.device-failed.fix':
    'USB 케이블과 엔트리 하드웨어에서 고른 기기가 맞는지 확인한 뒤, 기기를 뽑았다가 다시 꽂으세요.',
  'state.no-instance':
    '엔트리 탭은 열려 있지만 이 탭의 방 번호를 받은 엔트리 하드웨어가 이 컴퓨터에 없어, 기기에 닿지 않습니다.',
  'state.no-instance.fix': `이 학생의 엔트리 화면에서 ${BUTTON_KO}을 누르세요. 그 버튼으로 엔트리 하드웨어가 처음 켜졌다면, 창이 열린 뒤 한 번 더 누르세요. 처음 켜질 때는 방 번호가 전달되지 않습니다.`,
  'state.no-browser': '엔트리 하드웨어는 실행 중이지만 연결된 엔트리 탭이 없습니다.',
  'state.no-browser.fix':
    '같은 세션에서 크롬이나 엣지로 엔트리(playentry.org)를 여세요. 그래도 연결되지 않으면 위의 “이 브라우저가 서버에 연결할 수 있나요?”를 보세요.',
  'state.browser-left': '엔트리 탭이 {s}초 전에 나갔습니다.',
  'state.browser-left.fix': '학생이 아직 엔트리를 쓰고 있다면 그 탭을 새로 고치세요.',
  'state.instance-without-room':
    '이 엔트리 하드웨어는 방 번호를 모릅니다. 이 컴퓨터에서 다른 엔트리 하드웨어도 실행 중이라 어느 엔트리 탭이 자기 학생의 것인지 알 수 없어, 어떤 탭도 맡지 않습니다.',
  'state.instance-without-room.fix': `이 엔트리 하드웨어를 쓰는 학생의 엔트리 화면에서 ${BUTTON_KO}을 다시 누르세요. 그러면 방 번호가 전달됩니다.`,
  'state.room-taken':
    '이 엔트리 하드웨어가 {room} 방을 요청했지만 이 컴퓨터의 다른 엔트리 하드웨어가 그 방을 먼저 맡고 있어 거절되었습니다. 지금은 어떤 엔트리 탭도 맡지 않습니다.',
  'state.room-taken.fix': `필요 없는 엔트리 하드웨어(예: 같은 학생의 다른 세션에 남아 있는 것)를 닫은 뒤, 엔트리 화면에서 ${BUTTON_KO}을 다시 누르세요.`,
  'problems.none': '기록된 문제가 없습니다.',
  'col.time': '시각',
  'col.level': '수준',
  'col.message': '내용',
  'level.warning': '주의',
  'level.error': '오류',
  'level.refused': '거절',
  'problems.repeated': '({n}회)',
  'problems.refusals':
    '다른 프로그램이나 웹 페이지의 요청 {n}건을 거절하거나 무시했습니다. 몇 건은 정상이지만, 많다면 어떤 프로그램이나 웹 페이지가 계속 시도하고 있다는 뜻입니다.',
  'problems.refusalKind': '{kind}: {n}건, 가장 최근: {latest}',
  'refusal.host': '다른 호스트 이름',
  'refusal.origin': '허용되지 않은 웹 페이지',
  'refusal.jsonp': 'JSONP',
  'refusal.bad-request': '읽을 수 없는 요청',
  'refusal.handshake': '거절된 연결 요청',
  'refusal.tls': '실패한 보안 연결',
  'refusal.slow': '너무 느린 연결',
  'refusal.slots': '엔트리 페이지 자리를 남기려고 닫은 연결',
  'refusal.size': '너무 큰 메시지',
  'refusal.memory': '서버가 바쁠 때 온 큰 메시지',
  'refusal.event': '알 수 없는 이벤트',
  'refusal.claims': '너무 많은 방 요청',
};

export const TEXTS: Record<Lang, Texts> = { en, ko };

/**
 * Korean when the browser's most preferred language is Korean, else English. `override`
 * (`?lang=`) wins when it names one of the two.
 *
 * @example
 * pickLanguage('ko-KR,ko;q=0.9,en;q=0.8') // 'ko'
 * pickLanguage('en-US,ko;q=0.5')          // 'en'
 */
export function pickLanguage(acceptLanguage: string | undefined, override?: string | null): Lang {
  if (override === 'ko' || override === 'en') return override;
  if (!acceptLanguage) return 'en';
  let best: { tag: string; q: number } | undefined;
  for (const part of acceptLanguage.slice(0, 500).split(',')) {
    const [tag = '', ...params] = part.trim().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!tag || Number.isNaN(q)) continue;
    if (!best || q > best.q) best = { tag: tag.toLowerCase(), q };
  }
  return best && (best.tag === 'ko' || best.tag.startsWith('ko-')) ? 'ko' : 'en';
}
