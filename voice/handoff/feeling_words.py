"""The words and example sentences the feeling reader compares a caller's turn with.

Written for this reader (none is a row of ``bench/feelings/corpus.csv``). Cue phrases are
matched on ``normalise``d words ("i am", "can not", numbers as digits), in order and
contiguous, and not when a negation governs them ("i am not angry"). Weights are 0..1 and
combine by noisy-or within a level. The policy file adds its own phrases and examples.
"""

from __future__ import annotations

from typing import Final

ANGRY_CUES: Final[dict[str, float]] = {
    **dict.fromkeys(["furious", "livid", "fuming", "outraged", "outrageous", "seething"], 0.75),
    **dict.fromkeys(["i am angry", "i am so angry", "i am really angry", "so angry"], 0.75),
    **dict.fromkeys(["really angry", "very angry", "i am mad", "really mad", "so mad"], 0.7),
    **dict.fromkeys(["angry", "mad at", "disgrace", "disgraceful", "insane", "scandalous"], 0.5),
    **dict.fromkeys(["losing my patience", "lost my patience", "run out of patience"], 0.7),
    **dict.fromkeys(["had it with", "had enough", "enough is enough", "done being polite"], 0.6),
    **dict.fromkeys(["sick and tired", "sick of", "fed up", "beyond frustrated"], 0.55),
    **dict.fromkeys(["i demand", "wasted my time", "waste of my time", "wasted hours"], 0.5),
    **dict.fromkeys(["worst service", "worst company", "complete joke", "a joke"], 0.55),
    **dict.fromkeys(["unacceptable", "ridiculous", "useless", "pathetic", "absurd"], 0.5),
    **dict.fromkeys(["not listening", "listen to me", "are you even listening"], 0.5),
    **dict.fromkeys(["i already said", "i already told you", "i said already"], 0.45),
    **dict.fromkeys(["how hard can it be", "what kind of company", "you people"], 0.5),
    **dict.fromkeys(["thanks for nothing", "not going to calm down", "pissed off"], 0.7),
    **dict.fromkeys(["cancel everything", "messed up", "screwed up"], 0.45),
    **dict.fromkeys(["extremely annoyed", "really annoyed", "so annoyed"], 0.6),
}
DISTRESS_CUES: Final[dict[str, float]] = {
    **dict.fromkeys(["scared", "frightened", "terrified", "petrified", "afraid of"], 0.7),
    **dict.fromkeys(
        ["panicking", "panic", "desperate", "distraught", "and afraid", "really afraid"], 0.7
    ),
    **dict.fromkeys(["i am begging", "begging you", "somebody help", "someone help"], 0.55),
    **dict.fromkeys(["can not cope", "can not take", "at my wits end", "wits end"], 0.7),
    **dict.fromkeys(["crying", "in tears", "shaking", "can not stop shaking"], 0.65),
    **dict.fromkeys(["worried sick", "sick with worry", "so worried", "really worried"], 0.6),
    **dict.fromkeys(["overwhelmed", "do not know what to do", "not safe", "feel unsafe"], 0.6),
    **dict.fromkeys(["anxious", "stressed", "terrible state", "beside myself"], 0.5),
    **dict.fromkeys(["lose my home", "can not pay for food", "no one to ask", "all alone"], 0.5),
    **dict.fromkeys(["urgently", "right now", "immediately", "as soon as possible"], 0.3),
}
UPSET_CUES: Final[dict[str, float]] = {
    **dict.fromkeys(["disappointed", "disappointing", "let down", "dissatisfied"], 0.5),
    **dict.fromkeys(["not happy", "unhappy", "not pleased", "not satisfied"], 0.5),
    **dict.fromkeys(["annoyed", "annoying", "frustrated", "frustrating", "upsetting"], 0.45),
    **dict.fromkeys(["complaint", "complain", "hassle", "nuisance", "a bit much"], 0.45),
    **dict.fromkeys(["expected better", "ignored", "tired of", "getting tired"], 0.45),
    **dict.fromkeys(["upset", "worried", "stressful", "sadly", "unfortunately"], 0.35),
    **dict.fromkeys(["still has not", "still not", "still no", "again"], 0.2),
    **dict.fromkeys(["second time", "keep having to", "keep chasing", "chasing"], 0.3),
}
PLEASED_CUES: Final[dict[str, float]] = {
    **dict.fromkeys(["thank you", "thanks", "cheers", "much appreciated"], 0.45),
    **dict.fromkeys(["helpful", "brilliant", "excellent", "perfect", "wonderful"], 0.35),
    **dict.fromkeys(["great", "lovely", "fantastic", "relief", "happy with"], 0.35),
    **dict.fromkeys(["made my day", "you have been great", "really appreciate"], 0.6),
}

# Example sentences for the sentence model, per level: a turn close in meaning to these
# (closer than to the neutral ones) reads as that level.
PROTOTYPES: Final[dict[str, tuple[str, ...]]] = {
    "angry": (
        "I am so angry with you",
        "this is absolutely outrageous and I have had enough",
        "I have called again and again and nobody fixes it",
        "you keep getting it wrong and I am furious",
        "I'm losing my temper with this company",
        "stop wasting my time and sort it out now",
        "your service is a disgrace",
        "I can't believe how badly I've been treated",
        "I've been waiting for weeks and I'm really annoyed",
        "nobody ever calls me back, it's infuriating",
        "you are not listening to a word I say",
        "I want this fixed now, I am sick of it",
        "why do you keep charging me wrongly, I'm fed up",
        "I'm raging about this",
        "I've explained this five times already",
    ),
    "distressed": (
        "I'm really frightened and I don't know what to do",
        "please help me, I'm desperate",
        "I'm so scared something bad will happen",
        "I'm panicking, please help",
        "I'm in tears, I can't handle this",
        "I feel unsafe and I'm scared",
        "I'm terrified of losing everything",
        "I'm really worried about my family",
        "I'm so anxious I can't think straight",
        "I'm at breaking point",
        "someone is threatening me and I'm afraid",
        "I have nobody else to turn to",
    ),
    "upset": (
        "I'm a little disappointed with the service",
        "I'm not very happy about this",
        "it's a bit frustrating to be honest",
        "I'd like to make a complaint",
        "this keeps happening and it's annoying",
        "I expected more from you",
        "it's been a hassle getting this sorted",
        "I'm unhappy with how this was handled",
        "I'm quite let down",
        "I'd like to raise a concern about how I was treated",
        "it's disappointing that nothing has changed",
    ),
    "pleased": (
        "thank you, that's very helpful",
        "that's great, thanks a lot",
        "brilliant, you've sorted it",
        "I'm very happy with the help",
        "wonderful, thank you so much",
        "that's a weight off my mind, thanks",
    ),
    "neutral": (
        "can you check a charge on my account",
        "I'd like to know my balance",
        "where is my order",
        "my internet isn't working, can you help",
        "I need to reset my password",
        "I want to return an item",
        "there's a problem with my bill",
        "what are your opening hours",
        "my payment didn't go through",
        "I think I've been charged the wrong amount",
        "the delivery hasn't come yet",
        "my router has stopped working",
        "I'd like to change my plan",
        "can I update my card details",
        "I need a refund for a faulty product",
        "can someone explain this fee",
        "my account is locked",
        "is there an outage near me",
        "I'd like to book an engineer",
        "my phone line isn't working",
        "I need help with something on my account",
        "can you help me with a question",
        "I'd like to speak to someone about my bill",
        "can I talk to a person please",
    ),
}
