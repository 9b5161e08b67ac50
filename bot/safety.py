"""Safety checks that run before any answer: emergencies first, then requests for a diagnosis.

Deterministic on purpose: the same words always give the same decision, whatever intent the NLU
model guessed. An intent can only add to a decision (a confident `report_emergency` with a live
warning sign, a confident `ask_diagnose_me` about a person), never take one away.

Emergencies
    1. The message is cut into sentences and clauses (commas, "but", "and he ...").
    2. Warning signs are found with patterns and with the vocabulary's symptom mentions (which
       also catch typos and UK/US spellings).
    3. A sign counts only when it is *live*: described as happening now, not
       - asked about as a topic ("what is carcinoid crisis?", "can NETs cause chest pain?"),
       - hypothetical or feared ("what should I do if I ever get ...", "worried about having ..."),
       - in the past or long-standing ("last year", "years ago", "sometimes", "most days"),
       - over ("... she's home and fine now"), or
       - a few search words ("carcinoid crisis symptoms").
       Words that say it is happening now ("tonight", "just", "still", "help") override the past
       and long-standing markers of their clause ("... last year, and today it's back" too);
       "right now" also overrides a topic or an "if"; and a person described after a topic
       ("I'm writing about my mum, she collapsed") is not a topic.
    4. Combinations of live signs decide (`_decide`): some are emergencies on their own (`_ALONE`:
       carcinoid crisis, trouble breathing, chest pain, fainting or collapse, not responding ...),
       others only together (flushing with a racing heart, breathing trouble or faintness; very
       low/high blood sugar with confusion or shakiness, or a dangerous reading; diarrhoea with
       signs of dehydration; sudden confusion with sweating or shaking).
    When unsure between a false alarm and a missed emergency, the rules choose the false alarm.

Diagnosis requests
    A person (I, my mum, he ...) or "this/these" symptoms, and a question or belief about having
    a condition ("do I have", "could it be", "is it cancer", "I think I have", "what are the
    chances that I have" ...). General questions ("can a NET cause diarrhoea?") are not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Pattern, Sequence, Set, Tuple

from bot.nlp import Mention

_FLAGS = re.IGNORECASE


def _rx(pattern: str) -> Pattern[str]:
    return re.compile(pattern, _FLAGS)


# ------------------------------------------------------------------------------ vocabulary
_PEOPLE = (
    r"mum|mom|mother|mam|mummy|mommy|dad|father|daddy|husband|hubby|wife|partner|boyfriend|girlfriend|"
    r"son|daughter|child|kid|baby|friend|brother|sister|grandma|gran|granny|nan|nana|grandmother|"
    r"grandad|granddad|grandpa|grandfather|aunt|auntie|uncle|cousin|niece|nephew|neighbou?r|patient|"
    r"flatmate|roommate|colleague"
)
# Who a sentence is about: a person, not "a NET", "people" or "you" in general.
_SUBJECT = (
    rf"(?:i|i'm|im|i've|ive|i'd|me|we|we're|he|he's|hes|she|she's|shes|they|they're|"
    rf"(?:my|his|her|our|their)(?: [\w'-]+){{1,2}}?|(?:{_PEOPLE})(?:'s)?)"
)
_PERSON_WORD = _rx(
    rf"\b(?:i|i'm|im|i've|ive|i'd|me|my|mine|myself|we|we're|our|us|he|he's|hes|she|she's|shes|his|her|him|"
    rf"they|they're|their|them|{_PEOPLE})\b"
)
# "my dad is ...", "she can't ...", "I've gone ...": somebody described in the present.
_PERSONAL_LIVE = _rx(
    rf"\b(?:i'm|im|i've|ive|he's|hes|she's|shes|we're|they're|(?:i|he|she|we|they|(?:my|his|her|our|their)"
    rf"(?: [\w'-]+){{1,2}}?|(?:{_PEOPLE})(?:'s)?)\s+(?:is|are|am|'s|'re|'m|has|have|keeps?|can'?t|cannot|"
    rf"won'?t|just|suddenly|started|feels?|looks?|seems?))\b"
)

_SEVERE = _rx(
    r"\b(?:very|really|so|extremely|dangerously|severe|severely|badly|bad|crazy|sky|massive|terrible|"
    r"terribly|awful|awfully|horrendous|worst|serious|seriously|heavily|hard)\b"
)
_MILD = _rx(r"\b(?:a bit|a little|slightly|a touch|mild|mildly|a tad|little bit)\b")

# ------------------------------------------------------------------------------ warning signs
_SIGN_PATTERNS: Dict[str, str] = {
    "crisis": (
        r"carcinoid\s+(?:crisis|crises|attack|storm)|\bin (?:a )?crisis\b|"
        r"\b(?:having|going into|gone into|in the middle of|had)\s+(?:a |an )?"
        r"(?:(?:severe|bad|full|full-blown|massive|major|carcinoid|serotonin|flushing|big|another)\s+)?"
        r"(?:crisis|storm)\b|"
        r"\b(?:having|in the middle of)\s+(?:a |an |another )(?:(?:severe|bad|full-blown|massive|major|carcinoid|"
        r"serotonin|flushing|big|really bad|terrible)\s+)?attack\b"
    ),
    "breathing": (
        r"\b(?:can'?t|cant|cannot|can not|unable to|couldn'?t|barely|hardly|struggling to|struggles to|"
        r"struggle to|fighting to|trying to)\s+(?:catch |get |take )?(?:(?:my|his|her|their|a|a proper|"
        r"enough|any|proper)\s+)?(?:bre[ae]?the?\w*|air)\b|"
        r"\b(?:trouble|difficulty|difficult|hard|problems?|struggling|struggle)\s+(?:to\s+|with\s+(?:his |her |my )?)?bre[ae]?th\w*|"
        r"\b(?:can'?t|cant|cannot|couldn'?t)\s+(?:i|he|she|they|we|you)\s+(?:breathe?|get (?:my|his|her|their|a) breath|catch (?:my|his|her|their) breath)\b|"
        r"\bnot breathing\b|\bstopped breathing\b|\bshort(?:ness)? of breath\b|\bbreathless\w*|\bgasping\b|"
        r"\bout of breath\b|\bchoking\b|\bcan'?t swallow\b|\bhurts to bre[ae]?th\w*|"
        r"\bbre[ae]?th\w*\s+(?:is\s+|are\s+|has become\s+|has got\s+|'s\s+|seems?\s+|sounds?\s+|looks?\s+)?(?:really |very |so |too )?"
        r"(?:bad|fast|rapid|shallow|laboured|labored|noisy|difficult|hard|funny|strange|weird|odd|oddly|raspy|rattly)\b|"
        r"\bwheez\w*\s+(?:badly|hard|heavily|really badly|a lot|terribly)|"
        r"\b(?:lips|face|mouth)\s+(?:are |is )?(?:turning |going |gone |looks? |looking )?(?:blue|grey|gray|purple)\b|"
        r"\b(?:face|tongue|throat|lips|mouth)\s+(?:is |are )?(?:swelling|swollen|closing)\b"
    ),
    "chest_pain": (
        r"\bchest\s+(?:pain|pian|pains|hurts?|hurting|ache|aches|tightness|pressure|is killing|is tight|feels? (?:really |very |so )?tight|"
        r"(?:is |feels )?(?:really |very |so )?(?:tight|sore|heavy))\b|"
        r"\bpain\w*\s+in\s+(?:my|his|her|the|their)\s+chest\b|\btight chest\b|\bcrushing\b|"
        r"\bpain (?:is )?(?:spreading|going|moving) (?:to|into|down) (?:my|his|her|the)\s+(?:jaw|arm|left arm|neck)|"
        r"\bleft arm (?:is |feels |has gone )?(?:numb|tingling|dead)"
    ),
    "cardiac_event": r"\bheart attack\b|\bcardiac arrest\b|\bhaving a stroke\b|\bstroke\b|\banaphyla\w+",
    "faint": (
        r"\bfaint(?:ed|ing|s)?\b|\bpass(?:ed|es|ing)? out\b|\bblack(?:ed|ing|s)? out\b|\bcollaps\w*|\bcollasp\w*|"
        r"\bunconscious\b|\bunresponsive\b|\bwon'?t wake\b|\bwont wake\b|\bnot waking\b|\bcan'?t wake (?:him|her|them)\b|"
        r"\bseizure\w*|\bfitting\b|\b(?:having|had|has had|is having|'s having) (?:a )?fit\b|\bkeeled over\b|\bgoing to faint\b|\bgoing dark\b"
    ),
    "heart": (
        r"\b(?:heart|pulse|heartbeat|heart ?rate)\s*(?:is |was |'s |has |keeps |started |starting )?(?:\w+ ){0,2}?"
        r"(?:racing|pounding|thumping|hammering|going crazy|going mad|all over the place|skipping|fluttering|"
        r"irregular|beating (?:\w+ ){0,2}(?:fast|hard|irregular\w*)|won'?t slow down|through the roof)|"
        r"\bpalpitations?\b|\bracing heart\b|\bpounding heart\b|\bheart (?:won'?t|wont) slow\b"
    ),
    "flushing": (
        r"\bflush\w*|\bflusing\b|\bred face\b|\bred hot\b|\bblush\w*|"
        r"\b(?:face|skin|cheeks|neck)\s+(?:is |has |'s |went |goes )?(?:gone |going |turned |turning |all )?"
        r"(?:bright |very |really |so |beetroot |deep )?(?:red|purple|purple-red|scarlet|on fire|burning|hot)\b|"
        r"\b(?:gone|went|going|turned|turning)\s+(?:very |really |bright |so )?(?:red|purple|purple-red|scarlet|beetroot)\b"
    ),
    "wheeze": r"\bwheez\w*",
    "dizzy": r"\bdizz\w*|\blight-?headed\w*|\b(?:room|head) (?:is )?spinning\b|\bwoozy\b",
    "confused": (
        r"\bconfus\w+|\bdisorient\w*|\bnot making (?:any )?sense\b|\btalking (?:nonsense|gibberish|rubbish)\b|"
        r"\bslurr\w+|\bdoesn'?t (?:seem to )?know where\b|\bcan'?t think\b|\bcant think\b|"
        r"\bwon'?t answer\b|\bnot (?:answering|responding)\b|\bdrowsy\b|\b(?:very|really|so) sleepy\b|"
        r"\blethargic\b|\bout of it\b|\bdelirious\b|\bnot with it\b"
    ),
    "shaky": r"\bshak(?:y|ey|ing|iness|es)\b|\btrembl\w+|\bsweat(?:y|ing|s)\b|\bclammy\b|\bjittery\b",
    "pale": (
        r"\b(?:look|looks|looking|gone|going|turned|is|very|really|so|and|all)\s+(?:very |really |so )?(?:grey|gray|pale|white|ashen)\b|"
        r"\bashen\b"
    ),
    # Not responding: as serious as a collapse.
    "unresponsive": (
        r"\b(?:isn'?t|is not|not|stopped|won'?t|wont|can'?t|cannot|unable to)\s+(?:talking|responding|respond|speaking|speak|talk)\b"
        r"(?!\s+(?:to (?:me|us|anyone|him|her|them) )?about\b)|"
        r"\b(?:know|sure|tell)\s+(?:if|whether)\s+(?:he|she|they|my \w+|mum|mom|dad)(?:'s| is| are|'re)\s+(?:still\s+)?(?:breathing|conscious|alive)\b"
    ),
    "weak": (
        r"\b(?:so|very|too|really|extremely)\s+weak\b|\bcan'?t stand\b|\bunable to stand\b|\bcan'?t get up\b|"
        r"\b(?:barely|hardly) (?:stand|walk|move)\b|\bfloppy\b|\blimp\b"
    ),
    "vomiting": r"\bvomit\w*|\bthrowing up\b|\bbeing sick\b",
    "no_urine": (
        r"\b(?:not|hasn'?t|haven'?t|barely|hardly|has not|have not|not been)\s+(?:been\s+)?"
        r"(?:peed|peeing|pee'd|weed|weeing|urinat\w+|passed (?:any )?urine|passing (?:any )?urine)\b|\bno urine\b"
    ),
    "cant_keep_down": (
        r"\bcan'?t keep (?:any|anything|fluids?|water|drinks?|food|it|them)?\s*(?:\w+\s+)?down\b|"
        r"\b(?:won'?t|wont|can'?t|cant|refus\w+ to|not) (?:drink|drinking)\b|\brefus\w+ (?:fluids|drinks)\b"
    ),
    "dry": r"\b(?:mouth|lips|tongue)\s+(?:is |are )?(?:very |really |so )?(?:dry|cracked|parched)\b|\bsunken eyes\b",
    "thirst": r"\b(?:extremely|so|very|really|unbelievably|desperately)\s+thirsty\b",
    "dehydration": r"\bdehydrat\w+",
    "diarrhoea": r"\bdiar+h?o?e?a\w*|\bdiarhoea\b|\bthe runs\b|\bloose (?:stools|bowels)\b|\bwatery stools\b|\bon the (?:loo|toilet)\b",
    "bleeding": r"\b(?:coughing|coughs|cough|vomiting|throwing|bringing|spitting)\s+up\s+(?:a lot of |lots of |loads of )?blood\b",
    "sugar_low": (
        r"\b(?:low|dropping|dropped|crashing|crashed|falling|plummeting)\s+(?:blood\s+)?(?:sugars?|glucose)\b|"
        r"\b(?:sugars?|glucose)(?:\s+levels?)?(?:\s+(?:is|are|'s|has|have|keeps?|has been|have been|was))?\s+"
        r"(?:\w+\s+){0,2}?(?:low|dropping|dropped|crashing|falling|plummeting)\b|\bhypo(?:glyc\w*|s)?\b"
    ),
    # A meter showing HI / LO is off its scale.
    "sugar_reading": r"(?-i:\b(?:HI|LO)\b)(?=[^.?!]{0,25}\b(?i:meter|reading|monitor|sugar|glucose)\b)|\b(?:meter|reading|monitor|glucometer)\b[^.?!]{0,20}(?-i:\b(?:HI|LO)\b)",
    "sugar_high": (
        r"\b(?:high|rising|sky high|sky-high)\s+(?:blood\s+)?(?:sugars?|glucose)\b|"
        r"\b(?:sugars?|glucose)(?:\s+levels?)?(?:\s+(?:is|are|'s|has|have|keeps?|has been|was))?\s+"
        r"(?:\w+\s+){0,2}?(?:high|sky high|sky-high|through the roof|rising|over \d+)\b|\bhyperglyc\w*"
    ),
    "dying": (
        r"\b(?:i'?m|im|i am|he'?s|hes|she'?s|shes|is|are|we'?re)\s+(?:really\s+)?(?:going to die|dying)\b"
        r"(?!\s+(?:of|from|to|for|inside|laughing)\b)"
    ),
    "extreme": (
        r"\bambulance\b|\b(?:call|ring|dial|phone)(?:ed|ing)?\s+\d{3}\b|(?-i:\bA&E\b|\bER\b)|"
        r"\bemergency (?:room|department)\b|\bcasualty\b|\bdying\b|\bgoing to die\b"
    ),
}
_SIGNS: Dict[str, Pattern[str]] = {
    name: re.compile(rx, _FLAGS) for name, rx in _SIGN_PATTERNS.items()
}
# Symptom mentions from the vocabulary (typos, spellings) -> sign.
_MENTION_SIGN = {
    "breathlessness": "breathing",
    "chest_pain": "chest_pain",
    "palpitations": "heart",
    "flushing": "flushing",
    "dehydration": "dehydration",
    "carcinoid_crisis": "crisis",
    "hypoglycaemia": "sugar_low",
    "hyperglycaemia": "sugar_high",
    "wheezing": "wheeze",
    "diarrhoea": "diarrhoea",
    "sweating": "shaky",
    "haemoptysis": "bleeding",
}
_FAINT_WORDS = _rx(r"faint|pass|collap|collasp")
_CONFUSED_WORDS = _rx(r"confus|disorient")
# A blood sugar / glucose reading: value after the word.
_SUGAR_READING = _rx(r"\b(?:sugars?|glucose|bm|reading|meter)\b(?:\s+[a-z']+){0,4}?[\s:=]+(?:is\s+|of\s+|at\s+|over\s+|under\s+|below\s+)?(\d{1,3}(?:\.\d)?)\b")
_PULSE_READING = _rx(r"\b(?:pulse|heart ?rate|heartbeat|heart)\b(?:\s+[a-z']+){0,3}?\s+(\d{2,3})\b")
# Diarrhoea that is severe: how much, how long, how often.
_DIARRHOEA_SEVERE = _rx(
    r"\b(?:severe|constant|constantly|non-?stop|nonstop|won'?t stop|wont stop|can'?t stop|all (?:day|night)|"
    r"every (?:half hour|hour|\d+ minutes|few minutes)|\d+ times|(?:ten|twenty|fifteen|dozen) times|since|"
    r"for (?:\d+|two|three|four|five|several|a few|days)\s+(?:days|nights)|watery|uncontrollabl\w+|torrential|"
    r"really bad|pouring|explosive)\b"
)

# ------------------------------------------------------------------------------ context
# Said to be happening at this moment: also overrides a question's topic ("is it normal to have
# chest pain this bad right now?").
_NOW = _rx(
    r"\b(?:right now|now(?! that)|currently|at the moment|at present|just now|tonight|this (?:bad|severe)|"
    r"happening now|as we speak|as i type)\b"
)
# Said as happening now: overrides past / long-standing markers in the same clause.
_STRONG_LIVE = _rx(
    r"\b(?:right now|now|currently|at the moment|at present|just|suddenly|all of a sudden|out of nowhere|"
    r"tonight|today|this (?:morning|afternoon|evening|time)|still|"
    r"since (?:yesterday|this morning|last night|this afternoon|this evening|earlier|lunch|breakfast|dinner|"
    r"tea|about an hour|an hour|half an hour|\d+ ?(?:am|pm|o'clock)|(?:about |around )?(?:\w+|\d+) (?:hours?|minutes?) ago|then)|"
    r"for (?:the )?(?:last|past) (?:\d+|few|couple of|two|three|four|several)?\s*(?:minutes?|hours?)|"
    r"in the (?:last|past) (?:hour|few hours|\d+ (?:minutes|hours)|half hour)|"
    r"help|urgent|urgently|hurry|quick|asap|emergency|"
    r"what (?:do|should|can|shall) (?:i|we) do(?!\s+(?:if|when|in case|about|to|for))|"
    r"going for (?:over )?an hour|for over an hour)\b|!{2,}"
)
_PAST = _rx(
    r"\b(?:last (?:year|month|week|summer|winter|spring|autumn|fall|christmas|time|weekend)|"
    r"(?:\d+|a|an|one|two|three|four|five|six|few|several|many|couple of) (?:years?|months?|weeks?|days?) ago|"
    r"years ago|months ago|used to|once|previously|in the past|back in|back when|history of|"
    r"as a (?:baby|child|kid|teenager|toddler)|when (?:i|he|she|we|they) (?:was|were) (?:little|young|younger|a baby|a child|a kid)|"
    r"in (?:19|20)\d\d|in (?:january|february|march|april|may|june|july|august|september|october|november|december)|"
    r"before (?:my|his|her|the|their) (?:diagnosis|surgery|operation|treatment)|before diagnosis|"
    r"(?:has|have) been \w+ before|before$|had (?:one|a few|several|some|them) before)\b"
)
_CHRONIC = _rx(
    r"\b(?:sometimes|often|occasionally|usually|normally|always|every (?:day|morning|evening|night|week|afternoon|time)|"
    r"most (?:days|nights|mornings|evenings)|for (?:weeks|months|years|ages)|"
    r"for (?:\d+|a few|few|several|many|two|three|four|five|six) (?:weeks|months|years)|on and off|"
    r"now and (?:then|again)|from time to time|after (?:meals|eating|every|a glass|drinking|a drink|alcohol|wine)|"
    r"before meals|lately|these days|over the (?:months|years|weeks)|all the time)\b|"
    r"(?<!can't )(?<!cant )(?<!cannot )(?<!to )\b(?:gets?|keeps? getting|tends? to get)\b"
    r"(?!\s+(?:my|his|her|their|a|enough|any)\s+(?:proper\s+)?(?:breath|air))"
)
_RESOLVED = _rx(
    r"(?<!not )\b(?:(?:is|'s|am|'m|are|'re|seems?|was|were) (?:fine|ok|okay|alright|all right|better|stable|home|"
    r"back home|recovered|out of hospital)|(?:fine|ok|okay|better|alright) (?:now|again|today)|recovered|has passed|"
    r"passed off|settled(?: down)?|sorted(?: it)? out|went away|gone away|(?:has|have|'ve|'s|they|it) stopped|"
    r"back to normal|doing well)\b"
)
# Question or phrase about the sign as a topic, before it in the clause.
_WH_START = _rx(
    r"^\W*(?:(?:so|and|also|but|ok|okay|hi|hello|hey|um|sorry|please|then|quick question|question)\W+)*"
    r"(?:what|what's|whats|why|how|which|who|where|when)\b"
)
# ... unless it asks about a person now ("why is my heart racing", "what's wrong with my dad").
_WH_PERSONAL = _rx(
    rf"^\W*(?:(?:so|and|also|but|ok|okay|hi|hello|hey|um|sorry|please|then)\W+)*"
    rf"(?:why\s+(?:is|are|am|does|do|did|has|have|can'?t|won'?t|isn'?t|is it that)\s+{_SUBJECT}\b|"
    rf"what(?:'s|s| is)\s+(?:wrong|happening|going on)\b|what (?:do|should|can|shall) (?:i|we) do(?!\s+(?:if|when|in case|about|to|for)))"
)
_AUX_GENERIC = _rx(
    rf"^\W*(?:(?:so|and|also|but|ok|okay|hi|hello|hey|um|sorry|please|then|quick question|question)\W+)*"
    rf"(?:can|could|does|do|is|are|will|would|might|may)\s+"
    rf"(?!(?:{_SUBJECT}|this|that|these|those|you (?:think|reckon)|you help|someone|somebody|anyone|anybody)\b)"
)
_TOPIC_WORDS = _rx(
    r"\b(?:symptoms?|signs?|warning signs?|causes?|caused|cause|risk|risks|chance|chances|prevent\w*|avoid\w*|"
    r"about|information|info|explain\w*|difference|documentary|article|leaflet|heard|learn\w*|spot|"
    r"recogni[sz]\w*|mean\w*|define|definition|versus|vs|trigger\w*|manage|managing|treat\w*|"
    r"complications?|emergency\?)\b"
)
_TOPICAL_AFTER = _rx(
    r"^\W*(?:\w+\W+){0,3}?(?:a |an |one of the |the )?(?:common |main |usual |typical |possible )?"
    r"(?:symptom|sign|warning sign|side effect|complication|cause|feature)s?\b|"
    r"^\W*(?:mean|means|linked|link|related|a sign|symptoms?|signs?|causes?|treatment|definition|meaning)\b|"
    r"^\W*(?:be|is|are)\s+(?:\w+\s+){0,2}(?:life-threatening|dangerous|serious|an emergency)\b|"
    # a definition: "carcinoid crisis is the sudden onset of ...", "... is when ...", "... refers to ..."
    r"^\W*(?:is|are)\s+(?:when|what|where|defined|called|known as|(?:the|a|an)\s+(?:sudden|immediate|rare|serious|"
    r"complication|group|condition|term|name|type|kind|form|symptom|sign|medical term|word))\b|^\W*refers? to\b"
)
_HYPOTHETICAL = _rx(
    r"\bif\b|\bin case\b|\bwhenever\b|\bever\b|"
    r"\bin the event\b|\bshould (?:i|he|she|we|they) (?:ever )?(?:get|have|develop|start)\b|"
    rf"\bwill {_SUBJECT} (?:have|get|develop|need|go into)\b|\bgoing to (?:have|get|develop)\b|"
    r"\b(?:worried|worry|worrying|scared|afraid|frightened|nervous|anxious) (?:about|of)\b|\bprepar\w+|\bplan for\b|"
    r"\b(?:could|might|may) (?:i|he|she|we|they) (?:get|have|develop)\b|\bmight (?:get|have|develop)\b|"
    r"\bwhat to do (?:in|if|when|during)\b|\bwhat happens (?:if|when|in|during)\b"
)
# "not sure if she's breathing", "I don't know whether ...": uncertainty about now, not a hypothesis.
_UNSURE_IF = _rx(r"(?:not sure|unsure|n't know|dont know|do not know|no idea|wonder|wondering|can't tell|cant tell|see)\s+$")


def _hypothetical_in(chunk: str) -> bool:
    for match in _HYPOTHETICAL.finditer(chunk):
        if match.group(0).lower() == "if" and _UNSURE_IF.search(chunk[: match.start()]):
            continue
        return True
    return False


# Somebody described, in any tense ("my mum she collapsed", "my dad fainted").
_PERSONAL_ANY = _rx(rf"\b(?:{_SUBJECT})\s+(?:just\s+|has\s+|had\s+|have\s+|is\s+|was\s+)?[a-z]{{3,}}\b")
# Somebody not breathing or unconscious now, even inside "what do I do if ...".
_CRITICAL_NOW = _rx(
    rf"\b(?:{_SUBJECT})\s*(?:is|'s|s|are|'re|am|'m)\s+(?:still\s+)?(?:not breathing|unconscious|unresponsive|"
    rf"not responding|having a (?:seizure|fit)|turning blue|choking)\b"
)
# "... last year, and today it's back": the earlier sign is live again.
_RECUR = _rx(
    r"\b(?:again|another (?:one|attack|episode|crisis|bout)|(?:it'?s|it is|they'?re|they are) back|back again|"
    r"started again|starting again|happening again|same thing)\b"
)
_OWN_START = _rx(rf"^\W*(?:(?:and|but|so|then|now|also)\s+)*(?:{_SUBJECT})\b")
_SENTENCE_BREAK = _rx(r"[.?!]+(?=\s|$)|[.?!]{2,}|[;\n]|:\s|\s[-\u2013\u2014]+\s")
_CLAUSE_BREAK = _rx(
    rf",|\(|\)|\b(?:but|then|so|although|though|while|whereas)\b|"
    rf"\band\s+(?=(?:now|{_SUBJECT})\b)"
)


@dataclass(frozen=True)
class _Clause:
    start: int
    end: int
    sentence: int
    text: str
    strong: bool
    past: bool
    own: bool
    topical: bool  # a topic question/phrase somewhere in it (inherited by the next clause)
    hypothetical: bool
    inherited_topical: bool
    inherited_hypothetical: bool
    inherited_past: bool


def _clauses(text: str) -> List[_Clause]:
    spans: List[Tuple[int, int, int]] = []
    sentence = 0
    pos = 0
    for brk in list(_SENTENCE_BREAK.finditer(text)) + [None]:
        s_end = brk.start() if brk else len(text)
        c_pos = pos
        for cb in list(_CLAUSE_BREAK.finditer(text, pos, s_end)) + [None]:
            c_end = cb.start() if cb else s_end
            if text[c_pos:c_end].strip():
                spans.append((c_pos, c_end, sentence))
            if cb:
                c_pos = cb.end() if cb.group(0) in (",", "(", ")") or not cb.group(0).startswith("and") else cb.start() + 3
        if brk:
            pos = brk.end()
            sentence += 1
    out: List[_Clause] = []
    prev: Optional[_Clause] = None
    for start, end, sent in spans:
        chunk = text[start:end]
        strong = bool(_STRONG_LIVE.search(chunk))
        own = bool(_OWN_START.search(chunk)) or strong
        personal_live = bool(_PERSONAL_LIVE.search(chunk)) or strong
        topical = _topical_marker(chunk) is not None
        hypothetical = _hypothetical_in(chunk)
        same = prev is not None and prev.sentence == sent
        inh_topical = bool(same and prev and (prev.topical or prev.inherited_topical) and not (own and personal_live))
        inh_hypo = bool(same and prev and (prev.hypothetical or prev.inherited_hypothetical) and not (own and personal_live))
        past_here = bool(_PAST.search(chunk) or _CHRONIC.search(chunk))
        present_verb = bool(_PERSONAL_LIVE.search(chunk))
        inh_past = bool(same and prev and (prev.past or prev.inherited_past) and not strong and not present_verb)
        clause = _Clause(
            start, end, sent, chunk, strong, past_here and not strong, own, topical, hypothetical,
            inh_topical, inh_hypo, inh_past,
        )
        out.append(clause)
        prev = clause
    return out


def _topical_marker(prefix: str, clause: Optional[str] = None) -> Optional[Tuple[int, str]]:
    """Position and kind ("question" or "topic word") of the last topic marker in `prefix`."""
    found: Optional[Tuple[int, str]] = None
    whole = prefix if clause is None else clause
    if (_WH_START.search(prefix) and not _WH_PERSONAL.search(whole)) or _AUX_GENERIC.search(prefix):
        found = (0, "question")
    for match in _TOPIC_WORDS.finditer(prefix):
        found = (match.start(), "topic word")
    return found


@dataclass(frozen=True)
class _Sign:
    name: str
    start: int
    end: int
    clause: _Clause
    severe: bool
    mild: bool


def _is_live(text: str, sign: _Sign, clauses: Sequence[_Clause]) -> bool:
    clause = sign.clause
    prefix = text[clause.start : sign.start]
    upto = text[clause.start : sign.end]
    after = text[sign.end : clause.end]
    now = bool(_NOW.search(clause.text))
    # Asked about as a topic, unless a person is then described: after a question ("how can I
    # help him, he is struggling to breathe") in the present; after a topic word ("I'm writing
    # about my mum, she collapsed") in any tense.
    topic = _topical_marker(prefix, clause.text)
    if topic is None and clause.inherited_topical:
        topic = (-1, "question")
    if topic is not None and not now:
        at, kind = topic
        person = _PERSONAL_LIVE if kind == "question" else _PERSONAL_ANY
        if not any(m.start() > at for m in person.finditer(upto)):
            return False
    if _TOPICAL_AFTER.search(after) and not clause.strong:
        return False
    # Hypothetical, feared or planned for; not when it is said to be now ("what do I do if he is
    # unconscious right now") or somebody is described as not breathing / unconscious.
    if (_hypothetical_in(prefix) or clause.inherited_hypothetical) and not now and not _CRITICAL_NOW.search(clause.text):
        return False
    # Past or long-standing (unless said to be happening now, or back again now).
    if clause.past or clause.inherited_past:
        back = any(
            o.sentence == clause.sentence and o.start > clause.start and o.strong and _RECUR.search(o.text) for o in clauses
        )
        if not back:
            return False
    # Over: "... she's home and fine now" later in the same sentence.
    for other in clauses:
        if other.sentence != clause.sentence or other.end <= sign.start:
            continue
        window = text[max(other.start, sign.end) : other.end]
        if _RESOLVED.search(window):
            return False
    return True


def _find_signs(text: str, mentions: Sequence[Mention], clauses: Sequence[_Clause]) -> List[_Sign]:
    def clause_at(pos: int) -> Optional[_Clause]:
        for clause in clauses:
            if clause.start <= pos < clause.end:
                return clause
        return None

    raw: List[Tuple[str, int, int]] = []
    for name, pattern in _SIGNS.items():
        raw.extend((name, m.start(), m.end()) for m in pattern.finditer(text))
    for mention in mentions:
        if mention.start < 0:
            continue
        sign = _MENTION_SIGN.get(mention.value)
        if mention.value == "dizziness":
            sign = "faint" if _FAINT_WORDS.search(mention.text) else "dizzy"
        elif mention.value == "confusion" and _CONFUSED_WORDS.search(mention.text):
            sign = "confused"
        if sign:
            raw.append((sign, mention.start, mention.end))
    for match in _SUGAR_READING.finditer(text):
        value = float(match.group(1))
        # Dangerous in mmol/L (<= 3.5 or > 15 up to 60) or in mg/dL (< 60 or >= 250).
        if value <= 3.5 or 15 < value <= 60 or value >= 250:
            raw.append(("sugar_reading", match.start(), match.end()))
    for match in _PULSE_READING.finditer(text):
        if int(match.group(1)) >= 130:
            raw.append(("heart", match.start(), match.end()))

    signs: List[_Sign] = []
    for name, start, end in raw:
        clause = clause_at(start)
        if clause is None:
            continue
        chunk = clause.text
        severe = bool(_SEVERE.search(chunk)) or name == "sugar_reading"
        if name == "diarrhoea" and _DIARRHOEA_SEVERE.search(chunk):
            name = "severe_diarrhoea"
        signs.append(_Sign(name, start, end, clause, severe, bool(_MILD.search(chunk))))
    return signs


def _keyword_query(text: str) -> bool:
    """A few search words ("carcinoid crisis symptoms"), not a description of anyone."""
    words = re.findall(r"[\w'&-]+", text)
    return (
        len(words) <= 6
        and not _PERSON_WORD.search(text)
        and not _STRONG_LIVE.search(text)
        and not re.search(r"\b(?:is|are|am|can'?t|cannot|won'?t|feel|feels|having|has|have|had|going)\b", text, _FLAGS)
        and bool(_TOPIC_WORDS.search(text) or re.search(r"\b(?:insulinoma|gastrinoma|glucagonoma|vipoma|nets?|carcinoid syndrome)\b", text, _FLAGS))
    )


# Signs that are an emergency on their own when live (name -> reason).
_ALONE = {
    "crisis": "carcinoid crisis",
    "breathing": "trouble breathing",
    "chest_pain": "chest pain",
    "cardiac_event": "heart attack, stroke or severe allergic reaction",
    "faint": "fainting or collapse",
    "unresponsive": "not responding",
    "dying": "feels like dying",
}
# Signs that are an emergency together with one of their companions.
_SUGAR_COMPANIONS = frozenset({"confused", "shaky", "faint", "dizzy", "weak", "pale", "thirst"})
_FLUSH_COMPANIONS = frozenset({"heart", "breathing", "faint", "dizzy", "chest_pain", "pale"})
_HEART_COMPANIONS = frozenset({"breathing", "chest_pain", "faint", "dizzy", "confused", "flushing", "pale", "wheeze"})
_DEHYDRATION_SIGNS = frozenset({"dehydration", "no_urine", "cant_keep_down", "dry", "thirst"})
_DEHYDRATION_COMPANIONS = frozenset({"severe_diarrhoea", "diarrhoea", "vomiting", "dizzy", "faint", "confused", "weak", "pale", "heart"})


def _decide(live: Sequence[_Sign], text: str) -> Optional[str]:
    """The reason this combination of live signs is an emergency (None when it is not)."""
    names: Set[str] = {s.name for s in live}
    for name, reason in _ALONE.items():
        if name in names:
            return reason
    if "bleeding" in names and any(s.name == "bleeding" and (s.clause.strong or "lot" in text[s.start : s.end].lower()) for s in live):
        return "coughing or vomiting blood"
    sugar = [s for s in live if s.name in ("sugar_low", "sugar_high", "sugar_reading")]
    if sugar and (names & _SUGAR_COMPANIONS or any(s.severe and not s.mild for s in sugar) or "sugar_reading" in names):
        return "very high or low blood sugar"
    # Wheezing is a usual carcinoid-syndrome symptom; with flushing it counts when said to be bad or now.
    hard_wheeze = any(s.name == "wheeze" and (s.severe or s.clause.strong) for s in live)
    if "flushing" in names and (names & _FLUSH_COMPANIONS or hard_wheeze):
        return "flushing with breathing or heart symptoms"
    if "heart" in names and names & _HEART_COMPANIONS:
        return "racing heart with other warning signs"
    if "confused" in names and names & {"shaky", "faint", "dizzy", "weak", "pale"}:
        return "sudden confusion with shaking or sweating"
    if "weak" in names and names & {"pale", "confused", "dizzy"}:
        return "suddenly very weak and pale or confused"
    dehydration = names & _DEHYDRATION_SIGNS
    if dehydration and (names & _DEHYDRATION_COMPANIONS or len(dehydration) >= 2 or any(s.severe for s in live if s.name in dehydration)):
        return "severe dehydration"
    if "severe_diarrhoea" in names and names & (_DEHYDRATION_SIGNS | {"dizzy", "faint", "confused", "weak", "vomiting"}):
        return "severe diarrhoea with dehydration"
    if "extreme" in names and names - {"extreme", "flushing", "diarrhoea", "wheeze"}:
        return "asks about emergency help"
    return None


@dataclass(frozen=True)
class SafetyCheck:
    emergency: bool
    signs: Tuple[str, ...] = ()
    reason: str = ""


def check_emergency(
    text: str,
    mentions: Sequence[Mention] = (),
    intent: Optional[str] = None,
    confidence: float = 0.0,
) -> SafetyCheck:
    """Is this message describing an emergency happening now?"""
    if not text or not text.strip():
        return SafetyCheck(False)
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    clauses = _clauses(text)
    signs = _find_signs(text, mentions, clauses)
    if _keyword_query(text):
        return SafetyCheck(False, tuple(sorted({s.name for s in signs})), "search words")
    live = [s for s in signs if _is_live(text, s, clauses)]
    names = tuple(sorted({s.name for s in live}))
    reason = _decide(live, text)
    if reason:
        return SafetyCheck(True, names, reason)
    # The NLU model's opinion counts when the text also shows a live warning sign.
    if intent == "report_emergency" and confidence >= 0.8 and set(names) - {"flushing", "diarrhoea", "wheeze", "extreme"}:
        return SafetyCheck(True, names, "reported emergency")
    return SafetyCheck(False, names)


# ----------------------------------------------------------------------- diagnosis requests
_CONDITION = (
    r"(?:(?:lung|pancreatic|pancreas|gi|gut|bowel|small|intestinal|stomach|appendix|appendiceal|rectal|bronchial|"
    r"bronchopulmonary|gep|type of|kind of|sort of|form of|some|rare|a|an|the|neuroendocrine|carcinoid|actual|real)\s+){0,3}"
    r"(?:nets?|neuroendocrine(?:\s+(?:tumou?rs?|cancers?|neoplasms?|carcinomas?))?|gep-nets?|pnets?|"
    r"cancers?|cancerous|tumou?rs?|carcinoids?|syndrome|insulinomas?|gastrinomas?|glucagonomas?|vipomas?|"
    r"necs?|ibs|crohn'?s|menopause|diabet\w+|malignant|something serious|serious)\b"
)
# The condition is what is asked about, not the subject of a longer question.
_CONDITION_END = (
    r"(?!\s+(?:usually|always|often|generally|normally|typically|ever|commonly|common|rare|harmless|dangerous|deadly|"
    r"curable|treatable|hereditary|genetic|inherited|are|is|was|were|be|can|could|do|does|did|have|has|had|cause\w*|"
    r"spread\w*|grow\w*|run|runs|tend\w*|need\w*|mean\w*|make\w*|get|gets|treated|cured|found|diagnosed|show\w*|"
    r"start\w*|develop\w*|release\w*|produce\w*|affect\w*|come|comes|go|goes|turn\w*|become\w*|with|that|which|who)\b)"
)
_LINK = (
    r"(?:(?:actually|really|just|definitely|possibly|probably|likely|maybe|from|caused by|due to|because of|part of|"
    r"linked to|related to|down to|a sign of|a symptom of|signs of|symptoms of|an early sign of|a warning sign of)\s+)*"
)
_WHO = rf"(?:i|he|she|we|they|(?:my|his|her|our|their)(?: (?!of\b)[\w'-]+){{1,3}}?|(?:{_PEOPLE})(?:'s [\w'-]+)?)"
_IS_IT = _rx(
    rf"\b(?:is|are)\s+(?:it|this|that|these|those|{_WHO})\s+{_LINK}(?:a |an |the )?{_CONDITION}{_CONDITION_END}"
)
_DIAGNOSE_ME = _rx(
    r"\bdiagnos(?:e|is)\s+(?:me|my|him|her|them|us|this|what)\b|\bcan you diagnose\b|\bgive me a diagnosis\b"
)
# "why did it take 5 years to diagnose my wife's NET" tells what happened; it asks nothing of us.
_TOOK_TO_DIAGNOSE = _rx(r"\b(?:take|takes|took|taken|taking)\b[^.?!]{0,60}?(?<!\byou )(?<!\bu )\bto diagnos(?:e|is)\b")
_DIAGNOSIS_PATTERNS: Tuple[Pattern[str], ...] = tuple(
    p if isinstance(p, re.Pattern) else _rx(p)
    for p in (
        # do I have / does my mum have / could she have / has he got / will I get
        rf"\b(?:do|does|did|could|might|may|would|can|will)\s+{_WHO}\s+(?:[\w']+\s+){{0,3}}?(?:have(?! to\b)|has(?! to\b)|got|had(?! to\b)|suffer\w*)\b[^.?!]{{0,40}}?\b{_CONDITION}",
        rf"\b(?:will|could|might|may|would)\s+{_WHO}\s+(?:[\w']+\s+){{0,2}}?(?:get|develop)\s+{_CONDITION}{_CONDITION_END}",
        rf"\b(?:do|would|did) you (?:think|reckon|say|believe|suppose)\b[^.?!]{{0,60}}?\b{_CONDITION}",
        rf"\b(?:have|has)\s+{_WHO}\s+(?:got|had|been)\b[^.?!]{{0,30}}?\b{_CONDITION}",
        # could it / this / my diarrhoea / the flushing I get be a NET?
        rf"\b(?:could|might|may|would|can)\s+(?:it|this|that|these|those|they|{_WHO}|the [\w']+(?: [\w']+){{0,3}}?)\s+(?:\w+\s+){{0,2}}?(?:be|been|mean|indicate|suggest|point to)\s+{_LINK}(?:a |an |the )?{_CONDITION}{_CONDITION_END}",
        # is it cancer / is this a sign of a NET / is my wheezing caused by carcinoid
        _IS_IT,
        # I think I have / I'm worried I might have / I reckon it's a NET
        rf"\b(?:i|i'm|im|he|she|we|(?:my|his|her) [\w'-]+)\s+(?:\w+\s+)?(?:think|thinks|reckon|reckons|fear|fears|suspect|suspects|worried|worry|worries|believe|believes|wonder|wonders|wondering|convinced|sure)\s+(?:that\s+|if\s+|whether\s+)?(?:i|he|she|we|they|it|this|my [\w'-]+|his [\w'-]+|her [\w'-]+)\s*(?:'s|'ve|'m|s|is|has|have|had|am|might|may|could|got|must)\b[^.?!]{{0,30}}?\b{_CONDITION}",
        rf"\b(?:it'?s|its|this is|that'?s)\s+(?:a |an )?{_CONDITION}[^.?!]{{0,20}}\b(?:who'?s right|right\?|isn'?t it|am i right)",
        # explicit requests
        _DIAGNOSE_ME,
        r"\b(?:check|look at|assess|go through|read)\s+(?:my|his|her|our|these)\s+symptoms\b",
        rf"\bwhat (?:do|does|did) {_WHO} (?:have|got)\b|\bwhat(?:'s| is| has) {_WHO} got\b|"
        r"\bwhat(?:'s| is) (?:wrong|going on|happening|the matter) with (?:me|him|her|us|them|my)\b",
        rf"\b(?:could|might|may|would|can)\s+{_WHO}\s+be\b(?!\s+(?:ok|okay|fine|alright|all right|able|treated|cured))[^.?!]{{0,40}}?\b{_CONDITION}{_CONDITION_END}",
        rf"\b(?:so|then|therefore|which means)\s+{_WHO}\s+(?:must\s+|probably\s+|definitely\s+)?(?:have|has|got|'ve got)\b[^.?!]{{0,30}}?\b{_CONDITION}",
        rf"\b(?:have|has|got)\s+(?:a |an )?{_CONDITION}[^.?!]{{0,12}}\b(?:right|correct|yes|don'?t i|doesn'?t (?:he|she)|isn'?t it)\s*\?",
        rf"\btell me (?:if|whether) {_WHO}\b",
        rf"\b(?:chance|chances|odds|likelihood|probability|risk|possibility)\s+(?:is\s+)?(?:that\s+|of\s+)?{_WHO}\s+(?:ha(?:ve|s)|having|got|getting|is|am|being)\b",
        rf"\bam i (?:at risk|likely|having|going to get|getting)\b|\b(?:is|are)\s+{_WHO}\s+at risk\b",
        r"\b(?:do|does)\s+(?:this|that|it|these|those|my [\w'-]+|his [\w'-]+|her [\w'-]+)\s+(?:\w+\s+)?(?:sound|look|seem)\s+like\b",
        r"\b(?:do|does)\s+(?:my|his|her|their|these|the)\s+(?:[\w'-]+\s+)?symptoms?\s+(?:match|fit|suggest|point to|sound like|mean|add up)\b",
        rf"\b(?:does|do|would|could)\s+(?:having|getting)\b[^.?!]{{0,40}}\bmean\s+{_WHO}\b",
        r"\bshould (?:i|we) (?:be )?(?:worried|concerned|scared|afraid)\b|\bdo (?:i|we) need to worry\b",
        rf"\bhow (?:do|would|can|could|will) (?:i|we|you) (?:know|tell|find out|be sure) (?:if|whether) {_WHO}\b",
        rf"\b(?:is|'s) it (?:possible|likely|probable) (?:that )?{_WHO}\b",
        rf"\b(?:is|are)\s+{_WHO}\s+(?:likely|possibly|probably)\s+(?:to )?(?:have|has|got|be(?!\s+(?:offered|given|treated|"
        r"cured|ok|okay|fine|alright|all right|able|seen|referred|told|prescribed|operated|better|well)\b))\b",
        rf"\b(?:sounds?|looks?) like (?:i|he|she|{_WHO}) (?:ha(?:ve|s)|might|could)\b",
    )
)
# "my dad was diagnosed with a lung carcinoid, is it cancer?": asks about the diagnosed NET.
_KNOWN_NET = _rx(
    r"\b(?:diagnosed with|has|have|had|living with|got)\s+(?:a |an )?(?:[\w-]+\s+){0,2}?(?:nets?|carcinoid|neuroendocrine|insulinoma|gastrinoma|glucagonoma|vipoma|pnet|nec|"
    r"medullary thyroid (?:cancer|carcinoma)|ph?a?eochromocytoma|merkel cell (?:cancer|carcinoma))\b"
)
# ... and "my aunt had medullary thyroid cancer, is that a type of NET?" asks how it is classed.
_NATURE_QUESTION = _rx(
    r"\b(?:is|are) (?:it|this|that|they) (?:a )?(?:cancer|cancerous|malignant|benign|serious|dangerous)\b|"
    r"\b(?:is|are|counts? as) (?:it|this|that|they) (?:a |an )?(?:type|kind|form|sort) of (?:a |an )?(?:nets?|neuroendocrine|cancer)\b"
)
_DEICTIC = _rx(r"\b(?:this|these|those)\b|\b(?:could|might|would|is|does|do) that\b|\bthat'?s\b")


def is_diagnosis_request(
    text: str, intent: Optional[str] = None, confidence: float = 0.0, mentions: Sequence[Mention] = ()
) -> bool:
    """Does the person ask whether they (or someone) have a condition?"""
    if not text or not text.strip():
        return False
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    about_someone = bool(_PERSON_WORD.search(text)) or bool(_DEICTIC.search(text))
    if not about_someone:
        return False
    hits = [p for p in _DIAGNOSIS_PATTERNS if p.search(text)]
    if hits:
        if _KNOWN_NET.search(text) and _NATURE_QUESTION.search(text) and len(hits) == 1 and hits[0] is _IS_IT:
            return False
        if hits == [_DIAGNOSE_ME] and _TOOK_TO_DIAGNOSE.search(text):
            return False
        return True
    return intent == "ask_diagnose_me" and confidence >= 0.6 and bool(_PERSON_WORD.search(text))


def symptoms_named(mentions: Iterable[Mention]) -> List[str]:
    return list(dict.fromkeys(m.value for m in mentions if m.label == "symptom"))

