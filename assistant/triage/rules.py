"""The lexicons and patterns behind rule-based triage, in one place so they can be read and tuned.

Korean patterns run on the lower-cased text with all whitespace removed (customers space
Korean freely: "환불해 주세요", "환불해주세요"); English patterns run on the lower-cased text
with whitespace collapsed. Both sets run on every message, so mixed Korean/English text is
read by both. Sentiment lexicons are keyed by Korean lemma (Kiwi morpheme, verbs and
adjectives with "다") and by English word.
"""

from __future__ import annotations

import re
from re import Pattern


def _rx(*parts: str) -> Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in parts))


# --- situations -----------------------------------------------------------------------------

KO_ANGRY = _rx(
    r"ㅡㅡ|-_-|ㅗ|🤬|😡|😠|🙄",
    r"짜증|최악|장난하|장난치|장난까|어이(가)?없|어처구니|황당|화가나|화나|열받|빡치|빡쳐|개빡",
    r"쓰레기|개같|씨발|시발|ㅅㅂ|ㅆㅂ|미친|사기꾼|사기(치|야|네|잖)|욕나|제정신|이딴|호구",
    r"몇번(을|째|이나)?말|도대체|뭐하는(회사|곳|거)|답답해|답답하네|실망(이|스럽|했)|당장(환불|해결|고쳐)",
    # threats to leave or to review, reproach, rhetorical 반말
    r"별점|(리뷰|후기)\S{0,4}(남기|남길|쓰|쓸|올리|올릴|테러)|이런식이면|이럴거면|갈아타|갈아탑|돈(을)?받지마|일안함|일안해",
    r"너무하(네|시네|다|잖|세요)|(공지|안내|연락|사과)(하나|한마디|한줄)(도)?없",
    r"몇번째(냐|야|인지|에요|예요|인데)|(거|건)냐|하냐[?？]|냐고|좋게말(씀|할)",
    # sarcasm: praise words aimed at a failure
    r"(대단하|훌륭하|잘하)(다|네|시네|십니다)[^?]{0,3}(👏|ㅋ|\.\.|!)|👏",
)
EN_ANGRY = _rx(
    r"\bworst\b|\bgarbage\b|\btrash\b|pathetic|ridiculous|unacceptable|\bfraud|\bscam",
    r"furious|\bangry\b|pissed|\bwtf\b|\bffs\b|useless|terrible|horrible|\bawful\b|disgusting",
    r"\bjoke\b|sick of|fed up|rip-?off|shame on|incompetent|hate (this|your|you)",
    r"what the hell|\bdamn\b|\bf+u+c+k|\bshit|screw (you|this)|are you kidding|🤬|😡|😠|🙄",
    # threats to leave or to review
    r"\b(1|one)[- ]star|(leav|writ|post)\w* (a )?(bad |negative )?review|uninstall",
    r"switch\w* (apps|to another)|tell\w* everyone|stay away|never (again|using)|i'?m done\b",
    r"nobody (ever )?(answers|replies|responds)|no one (ever )?(answers|replies|responds)",
    # polite fury
    r"extremely patient|(run|running) out of patience|\bi expect\b|last time i'?m asking",
    # sarcasm: praise words aimed at a failure
    r"👏|(great|wow|awesome|nice|perfect|thanks)[,.!]* (another|again|for nothing)",
    r"another (\w+ ){0,2}(week|day|month|update), another|(really|truly|so) impressive",
    r"(love|loving|enjoy|enjoying) (losing|how|when|that|being)\b",
)

KO_REFUND = _rx(
    r"환불|환급|돈(을|좀)?돌려|돌려(주|줘|받|달)|(다시|도로)(넣어|입금)",
    r"(?<!자동)(?<!정기)결제(를|건|한거)?(좀)?취소",
    r"(두|2)(번|건|차례)(이나|씩)?(결제|청구|찍|빠져|나갔|나가|긁)",
    r"(중복|이중)(으로)?(결제|청구)|결제가(두|2)번|청구가(두|2)번|돈이(두|2)번",
    r"(내역|명세|카드)\S{0,4}(2|두)(건|번)|(결제|청구)(가|이)?잘못",
    r"에도(돈이|결제가?)(빠져)?나갔|잘못(결제|청구|빠져)|(같이|또|더|추가로)(빠져)?나갔",
)
EN_REFUND = _rx(
    r"refund|money back|reimburs|chargeback|revers(e|ed|al)",
    r"(charged|billed|took|taken|debited|charging|hit)\b.{0,30}"
    r"\b(twice|two times|2 times|double|2x|x2)",
    r"charged (me )?(twice|two times|double|again)|double[- ]?charged|billed (me )?twice",
    r"duplicate(d)? (charge|payment|transaction)|still (being |getting )?(charged|billed)",
    r"cancel (the|my|this) (payment|charge|order|purchase)|(wrongly|wrong) charged|overcharg",
    r"billing (error|mistake)|(charged|billed) (for|by) mistake|extra (charge|returned|back)",
)
# "back" alone is money only where money is talked about.
MONEY_WORDS = _rx(r"\$|charge|bill|paid|payment|card|money|price|plan|subscription|\d")
EN_BACK = _rx(r"\b(want|get|have|send|give|return|pay)\b[^.?!]{0,30}\bback\b")

KO_CANCEL = _rx(
    r"해지(?!했|됐|되었|된|됨)|탈퇴(?!했|됐|된)",
    r"구독(을|은|좀)?(취소|끊|그만)|(구독|플러스|플랜|멤버십)\S{0,8}끊(어|으|을|고|는)|(그만|더이상안)(쓸|쓰려|쓸래|쓸라|쓸게)",
    r"(자동|정기)(결제|갱신)(을|를|좀)?(끄|꺼|해제|중지|취소|멈|안되게|해지)",
    r"계정(을|좀)?(삭제|없애|지워)|다음달부터(는)?결제(안|하지|되지)",
)
EN_CANCEL = _rx(
    r"\bcancel(?:ing|ling)?\s+(?:my\s+|the\s+|our\s+)?(?:\w+\s+)?"
    r"(?:subscription|plan|account|membership|renewal|sub)\b",
    r"unsubscribe|(delete|close|remove|deactivate) (my|our) (\w+ )?account",
    r"stop (the )?(auto-?renew\w*|renewal|billing|charging)",
    r"turn off (the |my )?(auto-?renew\w*|renewal)",
    r"end my (subscription|plan)|don'?t renew|cancel (everything|it all|all of it)",
)

KO_BUG = _rx(
    r"안(돼|됨|되네|되고|되는|되요|되서|되어|되잖|된다|된대|되더|됩니다|되죠|돼서|된건|된거)",
    r"못(들어가|들어와|열|쓰고|쓰겠|받고|받았|하고있)|접속(이)?(안|불가)|빈(페이지|화면|창|노트)",
    r"하얗게|하얀(화면|페이지|창)|백지|왜이런|왜이래|왜그런|왜안|텅비|비어(있|져)|비었",
    r"오류|에러|버그|멈춰|멈췄|멈춤|멈춥|먹통|튕겨|튕김|튕기|튕겼|꺼져|꺼짐|꺼지|렉|버벅",
    r"켜지지(도)?않|안켜|안열|열리지(도)?않|안보여|안보이|보이지(도)?않|안와|오지(도)?않",
    r"사라졌|사라져|사라짐|날아갔|날라갔|없어졌|없어짐|지워졌|지워져|실패|깨져|깨짐|응답이없",
    r"로딩(만|중에서)|무한로딩|돌기만|(이|가)(다|전부)?빠졌|누락|증발(했|됐|해|됨)|초기화(돼|되|됐|됨)",
    r"fail|error|crash|\bbug",
    r"느려|로그아웃(이)?(돼|되|됨)|로그인(이)?안|동기화(가)?안|이상해|이상하게|이상하네|안나와",
    r"아직(도)?(free|무료)|적용(이)?안|반영(이)?안",
    r"(결제|인증|업로드|다운로드|저장|검색)(이|가)?안(?!되게|되도록)",
    r"서버(가)?(다)?(죽|다운|터졌|나갔)",
    r"(반응|결과|응답|내용)(이|가|도)?(아무것도|하나도|전혀)?없|아무것도(안|없)",
    r"(통째로|싹|몽땅|전부)없어",
    r"(새로고침|재시작|재설치|재부팅|다시설치|껐다(가)?켜|로그아웃했다)\S{0,6}(해도|했는데|해봐도|해봤는데|도)"
    r"\S{0,8}(그대로|똑같|마찬가지|안)",
)
EN_BUG = _rx(
    r"crash|broken|\bbugs?\b|glitch|\berrors?\b|fro(ze|zen)|freez|\bstuck\b",
    r"(doesn'?t|does not|isn'?t|is not|not|stopped|won'?t|will not) (\w+ )?work",
    r"won'?t (load|open|sync|start|launch|save)",
    r"(can'?t|cannot|unable to) (log ?in|sign ?in|open|sync|save|access|login|upload)",
    r"\bgone\b|disappear|vanish|missing|lost (all )?(of )?(my |their |the |its )?(\w+ )?"
    r"(notes?|data|notebooks?|files|attachments|work|formatting|images|tags|pages)",
    r"never show|not show(ing)? up|(doesn'?t|won'?t|didn'?t) (show|appear|load|sync|open|save)",
    r"not (syncing|loading|saving|opening|showing|working|updating|refreshing|uploading)",
    r"keeps? (on )?(?!asking (how|whether|if))\w+ing\b",
    r"\bstopped\b|(returns|shows|does|finds|did|gives|displays) (me )?(nothing|zero|no results)",
    r"nothing happens|\bblank\b|zero results|no results",
    r"(doesn'?t|don'?t|won'?t|didn'?t|isn'?t|not) (\w+ )?(refresh|updat|respond|upload|download)",
    r"(is|are|now|completely|shows|comes up) empty|\bempty (list|page|screen|note)",
    r"logged out|expired|outage|\bfail(s|ed|ing|ure)?\b|blank (page|screen)",
    r"(is|are|was|it'?s|service|server|site|app) (\w+ ){0,2}down\b",
    r"didn'?t (get|receive|arrive)|still (shows?|says) free|sync (issue|problem)",
    r"(goes|spins|loads|loading|spinning|spinner) (just )?(forever|endlessly)|infinite (load|spin)",
    r"only (shows?|showing|displays?|gives?|lists?|keeps?)\b|why (is|are|does|did) (my|the|it)\b",
    r"access denied|permission denied|error message|garbled|gibberish|(boxes|squares) instead",
    r"(resets?|reverts?|switch(es)?|jumps?) (back )?to\b|every (single )?time i\b",
    r"(deleted|deletes|wiped|wipes|erased|erases|ate|eats|overwrote|overwrites) (all )?(of )?"
    r"(my|our|the) (\w+ )?(notes?|data|work|notebooks?|tags|files|changes|edits)",
    r"(shows?|showing|displays?) (the |an )?(old|wrong|outdated|previous) (version|data|content)",
    r"(after|even after|tried) (a )?(restart\w*|reinstall\w*|clearing|logging out|updat\w*)"
    r"[^.]{0,40}(same|still|nothing)|same thing",
)
# What is not a failure though it looks like one: a fixed bug, a menu the customer cannot
# find (a how-to), asking for something not to happen.
KO_NOT_BROKEN = _rx(
    r"(버그|오류|문제|에러|동기화)\S{0,4}(고쳐|해결|수정)(해)?(주셔서|주셨|됐|되었|했|해줘서)",
    r"(메뉴|버튼|옵션|설정|방법)(을|를|이|가)?(못찾|안보|찾을수가?없|어디)",
    r"안(되게|되도록)|하지않게",
)
# The same for Kiwi, which reads the text with its spaces.
KO_NOT_BROKEN_RAW = _rx(
    r"(메뉴|버튼|옵션|설정|방법)(을|를|이|가)? ?(못 ?찾|안 ?보)",
    r"(버그|오류|문제|에러)\S{0,4} ?(빨리 |바로 )?(고쳐|해결|수정)",
)
EN_NOT_BROKEN = _rx(
    r"(fix|fixed|fixing|solved|resolved|sorted) (the |that |this |my )?(\w+ ){0,2}"
    r"(bug|issue|problem|error|crash)\w*|works (perfectly|fine|great) now",
    r"billing (error|mistake)|"
    r"(can'?t|cannot|couldn'?t|unable to) find (the |a |an |any )?(\w+ )?"
    r"(option|button|setting|menu|way)",
)

KO_PRICE = _rx(
    r"할인|깎아|깍아|싸게|쿠폰|프로모션코드|가격(을|좀)?(낮|내려|조정)|특가|견적",
    r"(체험|무료|trial)\S{0,6}(늘려|연장|더주|더쓸)|기간(을|좀)?(늘려|연장)",
)
EN_PRICE = _rx(
    r"discount|coupon|promo code|cheaper|lower (the )?price|custom (price|pricing|quote)",
    r"special (price|deal|offer)|student (price|pricing|plan)|price (match|exception|break)",
    r"\bwaive|free month|can'?t (really )?afford|too expensive",
    r"(nonprofit|non-profit|education\w*|edu|volume|bulk|enterprise|charity|academic|school)"
    r" (rate|pricing|price|discount|deal|quote|plan)",
    r"extend (my |the |our )?(free )?trial|(longer|extra|more) (free )?trial",
)
KO_LEGAL_THREAT = _rx(
    r"소송|고소|고발|신고(하|할|해)|법적(으로|인)?(대응|조치|책임)|변호사|소비자원|공정위|경찰|증거",
)
# A legal step made conditional on us is a threat (anger), not only a legal matter.
KO_THREAT_IF = _rx(r"(안|않|못)(해|하|주|주시|으시)?(면|시면)|계속이러|이러시면|이런식이면")
EN_THREAT_IF = _rx(r"\bif (you|this|i)\b|\bunless\b|\bor (else|i'?ll|i will)\b|will be in touch")
EN_LEGAL_THREAT = _rx(
    r"lawyer|attorney|\bsue\b|\bsued\b|lawsuit|legal action|\bcourt\b|small claims",
    r"consumer protection|report you to|better business bureau",
)
KO_COMPLIANCE_LAW = _rx(r"개인정보|정보보호법|gdpr|정보주체|열람청구")
EN_COMPLIANCE_LAW = _rx(
    r"\bgdpr\b|\bccpa\b|personal data|data protection|right to (be forgotten|erasure)",
    r"privacy (law|request)|\bdsar\b|subject access|legal (team|department)",
    r"data (stored|hosted|located|kept|residency)|where (is|do you) (my |our )?data",
    r"(written|in writing)\b.{0,30}confirm|confirm\w*\b.{0,30}in writing",
)
KO_DATA_DELETION = _rx(
    r"(데이터|정보|기록)(도|를|을|는)?(전부|모두|다)?(지워|삭제해|삭제요청|파기)"
)
EN_DATA_DELETION = _rx(
    r"(delete|erase|remove|wipe|purge) (all )?(of )?my (personal )?(data|information)",
    r"(wiped|erased|deleted|purged|removed) from your (servers|systems|backups)|every trace",
)
KO_SECURITY = _rx(
    r"보안(심사|점검|인증|감사|설문|검토|서약)|isms|모의해킹|침투테스트",
    r"취약점|보안(문제|이슈|결함|구멍|취약|버그)|해킹|유출|권한(이)?없이",
    r"다른사람(의)?노트가(다)?보|(남|타인|모르는사람)의?(노트|계정)",
)
EN_SECURITY = _rx(
    r"vulnerabilit|security (issue|hole|flaw|bug|problem|researcher)|exploit|\bxss\b",
    r"injection|data leak|leaked|bug bounty|responsible disclosure|security (contact|team)",
    r"questionnaire|\bdpa\b|\bsoc ?2\b|iso ?27001|pen(etration)? ?test|security (review|audit)",
    r"(someone else|stranger|another user)'?s (notes?|notebooks?|account)|\bhacked\b",
    r"other (people|users)'?s? notes|can be guessed|guessable",
)
KO_ROADMAP = _rx(
    r"언제(쯤)?(나와|나오|출시|추가|지원|업데이트되|생기|도입|나올)",
    r"출시(일정|예정|일|계획)|로드맵|추가(될|할)(예정|계획)|업데이트(일정|예정)",
    r"(기능|지원)\S{0,10}계획(이|은)?있|예정(이)?있(나|을까|어요\?)",
)
EN_ROADMAP = _rx(
    r"roadmap|\beta\b|release date|any plans? (for|to)|plans? to (add|support|release)",
    r"when (will|is|are|can we expect|do you)\b.{0,40}\b"
    r"(release|launch|available|coming|come out|ship|support|add)",
    r"will you (ever )?(add|support)|in the works|(is|are) .{0,30}(coming|planned)\b",
)

KO_HOWTO = _rx(
    r"방법|어떻게|하려면|할수있(나|어|을까|는지)|되나요\?|가능한가|가능할까|가능해요\?",
    r"있나요\?|어디서|어디에서|어딨|어디있|뭐예요\?|알려주세요|알려줘|궁금",
    r"문서|가이드|매뉴얼|도움말|링크(좀)?(부탁|주세요|주실|알려)",
    r"(영수증|세금계산서|계산서|인보이스|증빙|청구서|거래명세서)",
)
EN_HOWTO = _rx(
    r"how (do|can|to|does|should|would) (i|we|you)|\bhow to\b|where (can|do|is|are|should)",
    r"is (it|there) (a way|possible)|\bcan i\b|\bcould i\b|possible to",
    r"does (haru|the app|it) (support|have|work)|what happens (if|when)|do you (support|have)",
    r"does (the )?(\w+ ){1,2}(work|support|sync) (on|with|in|offline)",
    r"documentation|\bdocs\b|\bguide\b|(send|share|give) (me )?(a|the) link",
    r"\b(receipts?|invoices?|statements?|tax (form|document))\b",
)
QUESTION = re.compile(r"\?|까요|나요|는지|을까|ㄹ까|니\b")

KO_SYSTEMIC = _rx(
    r"다들|모두들|(저|나)만(그런|이런|그래|이래|안|그렇)|(저|나)(뿐|말고)(만|도)?(아니|도)",
    r"다른(사람|분|유저|사용자|이용자)(들)?도|(동료|팀원|친구|회사사람|옆자리사람|학생|직원)(들)?"
    r"(도|전부|다|모두)",
    r"(팀|회사|사무실|반|학교)\S{0,6}(전부|전원|모두|다같이)",
    r"(분|사람|유저|사용자)들(이)?(많|엄청|난리)|(글|후기|제보)(이|가)?(엄청|많이|계속)(올라|있)",
    r"(애들|사람들|분들|멤버들|팀원들|직원들|학생들)(이|도)?(다|전부|모두)(?!음)",
    r"장애|서버(가)?(다)?(죽|다운|터졌|나갔)",
)
EN_SYSTEMIC = _rx(
    r"\beveryone\b|\beverybody\b|all of us|(my|our) (whole|entire) (team|company|office|class|school)",
    r"(co-?workers|colleagues|teammates|friends|students|team) (have|are|also|see|get|too)",
    r"other (users|people|customers) (have|are|report|say|too)|not (just|only) me",
    r"(half|most|all|rest) (of )?(my|our|the) (team|office|class|company|coworkers|colleagues)",
    r"(say|said|says|report\w*|see|seeing|having|get|getting) the same|same here",
    r"\boutage\b|anyone else|is it (just me|a known)|known (issue|thing|problem|bug)",
    r"(is|are) (\w+ ){0,2}down\b|many (users|people)|lots of (users|people)|people are complain",
    r"full of people|people (are )?saying|\beither\b[.!?]*$|downdetector",
)

KO_PRAISE_STRONG = _rx(
    r"최고|짱|좋아요|좋네요|좋습니다|좋아용|좋아서|편해요|편하네|편리|만족|훌륭|사랑(해|합)",
    r"덕분에|잘쓰고|대박|멋져|멋지|예뻐|예쁘|칭찬|감동|애용|최애|물건이|👍|❤|♥|😍|🥰|😊|💕",
)
KO_THANKS = _rx(r"감사|고맙|고마워|수고하|🙏")
EN_PRAISE_STRONG = _rx(
    r"\blove\b|awesome|amazing|great (job|work|app|update|feature|team)|fantastic|excellent",
    r"brilliant|gorgeous|beautiful|perfect|wonderful|kudos|well done|changed (how|my)",
    r"nailed|🙌|🎉|love it|works great|so good|great work|thank you for|"
    r"lifesaver|life saver|you rock|best (\w+ )?(app|note)|saved (me|my)|so smooth|❤|👍|😍|🥰|😊",
)
EN_THANKS = _rx(r"\bthank|\bthanks\b|\bthx\b|appreciate")

# --- urgency --------------------------------------------------------------------------------

KO_WRONG_CHARGE = _rx(
    r"(두|2)(번|건|차례)(이나|씩)?(결제|청구|찍|빠져|나갔|나가|긁)|(내역|명세|카드)\S{0,4}(2|두)(건|번)",
    r"(중복|이중)(으로)?결제|결제가(두|2)번|청구가(두|2)번|돈이(두|2)번|(결제|청구)(가|이)?잘못",
    r"에도(돈이|결제가?)(빠져)?나갔|잘못(결제|청구)|(같이|또|더|추가로)(빠져)?나갔",
)
EN_WRONG_CHARGE = _rx(
    r"(charged|billed|took|taken|debited|charging|hit)\b.{0,30}"
    r"\b(twice|two times|2 times|double|again|2x|x2)",
    r"double[- ]?charged|duplicate(d)? (charge|payment|transaction)|overcharg|wrongly charged",
    r"still (being |getting )?(charged|billed)|billing (error|mistake)",
    r"(charged|billed) (me )?(after|even though|although|for something|by mistake)",
)
KO_URGENT = _rx(r"급해|급합니다|급하게|급한|빨리(좀)?(해|처리|답)|당장|지금바로|긴급")
EN_URGENT = _rx(r"urgent|\basap\b|immediately|emergency|right now")
KO_DATA_LOSS = _rx(
    r"텅비|목록이비|사라졌|사라져|사라짐|날아갔|날라갔|없어졌|지워졌|(노트|데이터|자료)(가|를)?(다)?잃"
)
EN_DATA_LOSS = _rx(
    r"\bgone\b|disappear|vanish|lost (all )?(of )?(my )?(\w+ )?(notes?|data|notebooks?|files|work)",
    r"deleted (all )?(of )?my|(is|are|now|completely) empty",
)
KO_OUTAGE = _rx(r"서버(가)?(다)?(죽|다운|터졌|나갔)|장애|전체(가)?(다)?안")
EN_OUTAGE = _rx(r"outage|(is|are|was) (\w+ ){0,2}down\b|service (is )?unavailable")
KO_PAYMENT = _rx(r"결제|청구|카드|구독료|요금")
EN_PAYMENT = _rx(r"payment|\bpaid\b|\bpay\b|charge|billing|invoice|card")

# --- spam / not for us -----------------------------------------------------------------------

KO_SPAM = _rx(
    r"맞팔|선팔|팔로우하면|팔로워(늘|구매)|비트코인|코인|수익(보장|률|인증)|투자|부업|대출",
    r"카지노|토토|무료나눔|링크클릭|클릭하세요|오픈채팅|카톡친추|dm(주세요|으로)",
)
EN_SPAM = _rx(
    r"follow (for|4) follow|\bf4f\b|follow ?back|giveaway|crypto|bitcoin|airdrop|\bnft",
    r"earn \$?\d|\d+% (profit|return|gain)|investment opportunit|passive income|\bdm me\b",
    r"check out my|casino|betting|forex|click (here|the link)|t\.me/|bit\.ly",
)
URL = re.compile(
    r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|io|me|example|ly)"
    r"(?:/\S*)?|t\.me/\S+"
)
PRODUCT_WORDS = _rx(
    r"하루노트|노트|메모|앱|어플|동기화|싱크|결제|구독|환불|해지|탈퇴|계정|로그인|비밀번호|인증",
    r"내보내|가져오|첨부|태그|공유|업데이트|플러스|요금|버전|고객센터|답변|답장|문의|클리퍼",
    r"기능|데이터|개인정보|다크모드|에디터|편집|검색|동기|서버|오류|에러|버그|플랜|설정|문서",
    r"sso|위젯|단축키|백업|폴더|화면|버튼|widget|shortcut|backup|folder|screen|button|setting",
    r"checkout|billing|\bcard\b|영수증|세금계산서|계산서|인보이스|receipt|\bfont|trial|체험",
    r"haru|\bnotes?\b|notebook|\bapp\b|sync|account|log ?in|password|subscription|\bplans?\b",
    r"refund|payment|charge|export|import|attachment|\btags?\b|share|update|support|clipper",
    r"feature|editor|theme|2fa|two-factor|authenticat|invoice|premium|\bplus\b|\bteam\b",
    r"\bdata\b|\bbug|crash|search|version|dark mode|offline|ios|android|desktop|\bweb\b",
)
# Someone asking us for something is a customer even without product words.
ASKING_US = _rx(
    r"부탁|문의|도와|알려|please|\bhelp\b|could you|can you|you guys|\byour\b",
)
OTHER_BRANDS = _rx(
    r"notenest|evernote|notion|onenote|obsidian|google keep|apple notes|bear app|spotify",
    r"netflix|youtube premium|disney\+|amazon prime|dropbox|slack|microsoft 365|chatgpt",
    r"에버노트|노션|원노트|옵시디언|구글 ?킵",
)
OUR_REFERENCE = _rx(
    r"haru|하루노트|하루 노트|your (app|team|support|product)|you guys|귀사|여기(서|는)|이 앱",
    r"import|migrat|move from|moving from|switch(ed|ing)? from|가져오|가져온|가져와|옮기|옮겨|이전하",
)

# An advertisement for something else, even when it names us.
AD = _rx(
    r"(check out|try|download|switch to) \w+[,!]? (the |an? )?(\w+ )?(app|tool|note-?taker)",
    r"\d+x better than|better than (haru|하루노트)|free trial at|무료체험|가입하면|프로필링크",
)

# --- sentiment --------------------------------------------------------------------------------

# fmt: off
KO_LEXICON: dict[str, float] = {
    "좋다": 1.0, "최고": 1.5, "감사": 1.0, "고맙다": 1.0, "편하다": 1.0, "편리": 1.0,
    "만족": 1.0, "훌륭하다": 1.5, "사랑": 1.0, "짱": 1.5, "멋지다": 1.0, "예쁘다": 1.0,
    "대박": 1.0, "덕분": 1.0, "해결": 0.5, "도움": 0.5, "빠르다": 0.5, "유용": 1.0,
    "추천": 0.5, "칭찬": 1.0, "완벽": 1.5, "행복": 1.0, "기쁘다": 1.0, "다행": 0.5,
    "짜증": -2.0, "최악": -2.0, "화나다": -1.5, "불편": -1.0, "실망": -1.5, "답답": -1.5,
    "어이없다": -2.0, "쓰레기": -2.0, "사라지다": -1.0, "멈추다": -1.0, "오류": -1.0,
    "에러": -1.0, "버그": -1.0, "튕기다": -1.0, "문제": -0.5, "느리다": -1.0, "황당": -1.5,
    "장난": -1.0, "사기": -2.0, "망하다": -1.5, "어떡하다": -1.0, "급하다": -0.5, "싫다": -1.0,
    "힘들다": -1.0, "죽다": -1.0, "실패": -1.0, "잃어버리다": -1.0, "별로": -1.0,
    "난리": -1.0, "화": -1.0, "열받다": -2.0, "먹통": -1.0, "미치다": -1.5,
}
# Neutral verbs that turn negative when negated: "안 돼요", "안 보여요", "안 와요".
KO_NEGATED_ONLY = frozenset({"되다", "보이다", "오다", "켜지다", "열리다", "하다", "나오다"})
KO_NEGATORS = frozenset({"안", "못"})
KO_INTENSIFIERS = frozenset({"진짜", "정말", "너무", "완전", "엄청", "매우", "아주", "되게", "넘"})

EN_LEXICON: dict[str, float] = {
    "good": 1.0, "great": 1.5, "love": 1.5, "awesome": 2.0, "amazing": 2.0, "excellent": 2.0,
    "fantastic": 2.0, "thanks": 1.0, "thank": 1.0, "appreciate": 1.0, "happy": 1.0,
    "gorgeous": 1.5, "beautiful": 1.0, "perfect": 1.5, "nice": 1.0, "helpful": 1.0,
    "easy": 0.5, "fast": 0.5, "quick": 0.5, "best": 1.5, "wonderful": 1.5, "brilliant": 1.5,
    "glad": 1.0, "pleased": 1.0, "works": 0.3, "fixed": 0.5, "kudos": 1.0,
    "bad": -1.0, "worst": -2.0, "terrible": -2.0, "horrible": -2.0, "awful": -2.0,
    "garbage": -2.0, "trash": -2.0, "pathetic": -2.0, "ridiculous": -1.5,
    "unacceptable": -2.0, "useless": -1.5, "hate": -2.0, "angry": -1.5, "annoyed": -1.5,
    "annoying": -1.5, "frustrated": -1.5, "frustrating": -1.5, "disappointed": -1.5,
    "broken": -1.0, "crash": -1.0, "crashes": -1.0, "crashing": -1.0, "bug": -1.0,
    "error": -1.0, "fail": -1.0, "failed": -1.0, "fails": -1.0, "froze": -1.0, "frozen": -1.0,
    "stuck": -1.0, "gone": -1.0, "lost": -1.0, "missing": -1.0, "slow": -1.0,
    "problem": -0.5, "issue": -0.5, "fraud": -2.0, "scam": -2.0, "sad": -1.0,
    "complaining": -1.0, "expired": -0.5, "outage": -1.5, "urgently": -0.5, "urgent": -0.5,
    "worse": -1.5, "sucks": -2.0, "nobody": -0.5, "disaster": -2.0, "upset": -1.5,
}
EN_NEGATED_ONLY = frozenset(
    {"work", "working", "load", "loading", "open", "sync", "syncing", "show", "appear", "log",
     "login", "save", "help", "start", "happy", "good", "recommend", "like"}
)
EN_NEGATORS = frozenset(
    {"not", "no", "never", "don't", "doesn't", "isn't", "can't", "won't", "didn't", "wasn't",
     "aren't", "cannot", "hardly", "dont", "doesnt", "cant", "wont", "didnt", "isnt", "nothing"}
)
EN_INTENSIFIERS = frozenset(
    {"really", "so", "very", "extremely", "totally", "absolutely", "super", "seriously",
     "incredibly", "truly", "completely"}
)
EMOTICONS: dict[str, float] = {
    "ㅡㅡ": -1.5, "-_-": -1.5, ";;": -0.5, "ㅋㅋ": 0.3, "ㅎㅎ": 0.5, "^^": 0.8,
    ":)": 0.8, ":-)": 0.8, ":(": -1.0, ":-(": -1.0,
    "😊": 1.0, "😍": 1.5, "🥰": 1.5, "❤": 1.0, "👍": 1.0, "🙏": 0.5, "💕": 1.0, "😀": 1.0,
    "😄": 1.0, "😡": -1.5, "🤬": -2.0, "😠": -1.5, "👎": -1.0, "😤": -1.0, "😢": -1.0,
    "😭": -1.0,
}
# fmt: on
CRYING = re.compile(r"[ㅠㅜ]{1,}")
