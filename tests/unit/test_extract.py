"""Reading releases: the constructions general English commits to follow-ups with.

Each row is a short release as a user might ingest it, published on Wednesday 12 March 2025,
and what `followup ingest` proposes from it: title, kind, window, place and the title of the
follow-up it is tied to. The rows cover the constructions the seed release does not use
(passives, obligations, appositions, programme lines, visits' parts, reported speech, ...)
and the ones that must propose nothing (possibilities, ongoing work, the past, what is called
off, habits).
"""

from __future__ import annotations

from datetime import date

import pytest

from events.extract import propose
from events.reading import read_release
from events.window import format_window

PUBLISHED = date(2025, 3, 12)

Row = tuple[str, str, str, str | None, str | None]

CONSTRUCTIONS: list[tuple[str, list[Row]]] = [
    (
        "The new regulation will take effect in July.",
        [
            ("Entry into force of regulation", "other", "2025-07", None, None),
        ],
    ),
    (
        "The two ministers will sign a memorandum of understanding on green shipping in "
        "Rotterdam on 3 April.",
        [
            ("Memorandum of understanding on green shipping",
             "other",
             "2025-04-03",
             "Rotterdam",
             None),
        ],
    ),
    (
        "The commission will publish its annual fisheries report in June.",
        [
            ("Publication of annual fisheries report", "report", "2025-06", None, None),
        ],
    ),
    (
        "Negotiations on the partnership agreement will begin next month.",
        [
            ("Negotiations on the partnership agreement", "meeting", "2025-04", None, None),
        ],
    ),
    (
        "The council will adopt the new work plan at its session in May.",
        [
            ("Work plan", "report", "2025-05", None, "Session"),
            ("Session", "meeting", "2025-05", None, None),
        ],
    ),
    (
        "The ministers will meet again in Lisbon in the autumn.",
        [
            ("Meeting of ministers", "meeting", "2025-09..2025-11", "Lisbon", None),
        ],
    ),
    (
        "The plan will be finalised by the end of the year.",
        [
            ("Plan", "report", "2025-03-12..2025-12-31", None, None),
        ],
    ),
    (
        "The summit will take place in Nairobi on 14 and 15 May.",
        [
            ("Summit", "meeting", "2025-05-14..2025-05-15", "Nairobi", None),
        ],
    ),
    (
        "A regional forum on water security is to be held this year.",
        [
            ("Regional forum on water security", "meeting", "2025-03-12..2025-12-31", None, None),
        ],
    ),
    (
        "The agreement is to be signed in Brussels in April.",
        [
            ("Agreement", "other", "2025-04", "Brussels", None),
        ],
    ),
    (
        "The feasibility study is expected to be completed by June.",
        [
            ("Feasibility study", "report", "2025-03-12..2025-06-30", None, None),
        ],
    ),
    (
        "The ministry plans to launch a national hydrogen strategy in the second half of the "
        "year.",
        [
            ("Launch of national hydrogen strategy", "launch", "2025-H2", None, None),
        ],
    ),
    (
        "Talks on a free trade agreement are set to resume in Geneva next week.",
        [
            ("Talks on a free trade agreement",
             "meeting",
             "2025-03-17..2025-03-23",
             "Geneva",
             None),
        ],
    ),
    (
        "Member states should submit their national plans no later than 30 June 2025.",
        [
            ("Submission of national plans", "deadline", "2025-06-30", None, None),
        ],
    ),
    (
        "Comments must be received by 15 April 2025.",
        [
            ("Deadline for Comments", "deadline", "2025-04-15", None, None),
        ],
    ),
    (
        "Two events are scheduled for the autumn, including a technical workshop in Oslo and a "
        "ministerial roundtable in Bergen.",
        [
            ("Technical workshop", "meeting", "2025-09..2025-11", "Oslo", None),
            ("Ministerial roundtable", "meeting", "2025-09..2025-11", "Bergen", None),
        ],
    ),
    (
        "The findings will be reported to the Council at its June session.",
        [
            ("Findings", "report", "2025-06", None, "June session"),
            ("June session", "meeting", "2025-06", None, None),
        ],
    ),
    (
        "The International Coffee Council, the body's governing forum, will convene in London "
        "on 23 September.",
        [
            ("Meeting of International Coffee Council", "meeting", "2025-09-23", "London", None),
        ],
    ),
    (
        "The ministers will hold talks in Berlin on 2 April. Following the talks, the two "
        "leaders will hold a joint press conference.",
        [
            ("Talks", "meeting", "2025-04-02", "Berlin", None),
            ("Joint press conference", "meeting", "2025-04-02..2025-04-09", None, None),
        ],
    ),
    (
        "Ahead of the summit on 20 May, the two sides will hold consultations in Jakarta.",
        [
            ("Consultations", "meeting", "2025-03-12..2025-05-20", "Jakarta", None),
            ("Summit", "meeting", "2025-05-20", "Jakarta", None),
        ],
    ),
    (
        "The two countries agreed to hold consultations on maritime security in the first "
        "quarter of this year.",
        [
            ("Consultations on maritime security", "meeting", "2025-03-12..2025-03-31", None, None),
        ],
    ),
    (
        "The delegations will hold talks in Hanoi on Thursday.",
        [
            ("Talks", "meeting", "2025-03-13", "Hanoi", None),
        ],
    ),
    (
        "The ministers will hold a retreat this weekend.",
        [
            ("Retreat", "meeting", "2025-03-15..2025-03-16", None, None),
        ],
    ),
    (
        "The panel will meet the week of 14 April.",
        [
            ("Meeting of panel", "meeting", "2025-04-14..2025-04-20", None, None),
        ],
    ),
    (
        "Applications are due by end-March.",
        [
            ("Deadline for Applications", "deadline", "2025-03-31", None, None),
        ],
    ),
    (
        "The survey will be carried out in early autumn.",
        [
            ("Survey", "report", "2025-09", None, None),
        ],
    ),
    (
        "▷ The working group will meet in Tokyo in May.",
        [
            ("Meeting of working group", "meeting", "2025-05", "Tokyo", None),
        ],
    ),
    (
        "※ A workshop on rice pests will be organised in Bangkok in October.",
        [
            ("Workshop on rice pests", "meeting", "2025-10", "Bangkok", None),
        ],
    ),
    (
        "■ The joint committee will convene in Manila in November.",
        [
            ("Meeting of joint committee", "meeting", "2025-11", "Manila", None),
        ],
    ),
    (
        "1. The next round of negotiations will be held in Canberra in August.\n2. The two "
        "sides will exchange letters on the fisheries protocol by 30 June.",
        [
            ("Next round of negotiations", "meeting", "2025-08", "Canberra", None),
            ("Letters on the fisheries protocol", "other", "2025-03-12..2025-06-30", None, None),
        ],
    ),
    (
        "The two ministers agreed to launch a joint early-warning system by the end of March "
        "next year and to hold their next meeting in Phnom Penh in the second half of next year",
        [
            ("Launch of joint early-warning system",
             "launch",
             "2025-03-12..2026-03-31",
             None,
             None),
            ("Next meeting", "meeting", "2026-H2", "Phnom Penh", None),
        ],
    ),
    (
        "The two sides discussed the possibility of holding a summit next year.",
        [],
    ),
    (
        "The parties may consider a further meeting in 2026.",
        [],
    ),
    (
        "Both countries will continue to cooperate on grid integration.",
        [],
    ),
    (
        "The ministers met in Vienna on 10 March and signed a declaration.",
        [],
    ),
    (
        "The minister will pay an official visit to Ghana on 2-4 April. During the visit, she "
        "will open the new embassy in Accra and hold talks with her counterpart.",
        [
            ("Visit to Ghana", "visit", "2025-04-02..2025-04-04", "Ghana", None),
            ("Launch of embassy", "launch", "2025-04-02..2025-04-04", "Accra", "Visit to Ghana"),
            ("Talks with counterpart",
             "meeting",
             "2025-04-02..2025-04-04",
             "Ghana",
             "Visit to Ghana"),
        ],
    ),
    (
        "South Africa to head a trade mission to Kenya by the end of May;",
        [
            ("Trade mission to Kenya", "visit", "2025-03-12..2025-05-31", "Kenya", None),
        ],
    ),
    (
        "The Summit is to be preceded by the 5th Ministerial Meeting.\nThe Summit will be held "
        "in Bangkok on 30 November.",
        [
            ("5th Ministerial Meeting", "meeting", "2025-03-12..2025-11-30", None, None),
            ("Summit", "meeting", "2025-11-30", "Bangkok", None),
        ],
    ),
    (
        "Event: Media availability\nDate: Friday, March 14, 2025\nLocation: Parliament Hill, "
        "Ottawa",
        [
            ("Media availability", "meeting", "2025-03-14", "Parliament Hill, Ottawa", None),
        ],
    ),
    (
        "5 April: Opening ceremony\n6 April: Decision on the next venue",
        [
            ("Opening ceremony", "meeting", "2025-04-05", None, None),
        ],
    ),
    (
        "The Presidential Meeting and the 3rd Binational Cabinet will take place in the city of "
        "Tumbes on 6-7 May.",
        [
            ("Presidential Meeting", "meeting", "2025-05-06..2025-05-07", "Tumbes", None),
            ("3rd Binational Cabinet", "meeting", "2025-05-06..2025-05-07", "Tumbes", None),
        ],
    ),
    (
        "On 14 April, the committee will be briefed on the preparations for the summit.",
        [
            ("Briefing of committee", "meeting", "2025-04-14", None, "summit"),
        ],
    ),
    (
        "The Ministers welcomed the offer of Japan to host the next meeting in 2026.",
        [
            ("Next meeting", "meeting", "2026", "Japan", None),
        ],
    ),
    (
        "The quarter-finals are on Wednesday, 19 March. The semi-finals follow on Wednesday, 26 "
        "March, and the final is on Saturday, 29 March.",
        [
            ("Quarter-finals", "other", "2025-03-19", None, None),
            ("Semi-finals", "other", "2025-03-26", None, None),
            ("Final", "other", "2025-03-29", None, None),
        ],
    ),
    (
        "The draw has now been moved to Friday, 14 March.",
        [
            ("Draw", "other", "2025-03-14", None, None),
        ],
    ),
    (
        "The meeting of the ministers opens in Vienna on 24 March with a working dinner. On 25 "
        "March the meeting continues with a plenary session, and it ends with a press "
        "conference.",
        [
            ("Meeting of the ministers", "meeting", "2025-03-24..2025-03-25", "Vienna", None),
            ("Working dinner", "meeting", "2025-03-24", "Vienna", "Meeting of the ministers"),
            ("Plenary session", "meeting", "2025-03-25", "Vienna", "Meeting of the ministers"),
            ("Press conference", "meeting", "2025-03-25", "Vienna", "Meeting of the ministers"),
        ],
    ),
    (
        "The minister said the talks would resume in Geneva on 2 April.",
        [
            ("Talks", "meeting", "2025-04-02", "Geneva", None),
        ],
    ),
    (
        "An agreement that gives the company a legal basis will be signed by the end of this "
        "year.",
        [
            ("Agreement", "other", "2025-03-12..2025-12-31", None, None),
        ],
    ),
    (
        "Deadline for applications: 16. 5. 2025",
        [
            ("Deadline for applications", "deadline", "2025-05-16", None, None),
        ],
    ),
    (
        "In view of the situation, the two sides agreed not to go ahead with next week's round "
        "of talks.",
        [],
    ),
    (
        "The minister will travel to Rome on 6 March to attend the ceremony.",
        [],
    ),
    (
        "Every year the committee meets in October.",
        [],
    ),
    (
        "Five weeks of work pay off next week, when the college holds its two-day symposium.",
        [
            ("Symposium", "meeting", "2025-03-17..2025-03-23", None, None),
        ],
    ),
    (
        "The forum will bring together ministers from ten countries.\nThe "
        "programme:\nWednesday, 19 March\n9 a.m. -- Opening of the forum\n10:30 a.m. -- Plenary "
        "Session 1, Main Hall\nPlenary meeting of the Panel on Plant Health (PLH), 30-31 March "
        "2025;",
        [
            ("Opening of the forum", "meeting", "2025-03-19", None, None),
            ("Plenary Session 1", "meeting", "2025-03-19", "Main Hall", None),
            ("Plenary meeting of the Panel on Plant Health (PLH)",
             "meeting",
             "2025-03-30..2025-03-31",
             None,
             None),
        ],
    ),
    # the month May before the verb is not the modal "may"
    (
        "On 7 May the trade ministers of Chile and Peru will meet in Lima.",
        [
            ("Meeting of trade ministers of Chile and Peru", "meeting", "2025-05-07", "Lima",
             None),
        ],
    ),
    (
        "The two sides may meet again in Lima in May.",
        [],
    ),
    # an opening "after"/"before" the event named just before dates what the clause commits to
    (
        "The delegations will hold talks in Oslo on 20 March. After the talks, the two "
        "ministers will sign an accord on offshore wind (AOW).",
        [
            ("Talks", "meeting", "2025-03-20", "Oslo", None),
            ("Accord on offshore wind (AOW)", "other", "2025-03-20..2025-03-27", None, None),
        ],
    ),
    (
        "The leaders' summit opens in Accra on 2 June. Before the summit, the trade ministers "
        "will hold a working lunch.",
        [
            ("Leaders' summit", "meeting", "2025-06-02", "Accra", None),
            ("Working lunch", "other", "2025-03-12..2025-06-02", None, None),
        ],
    ),
    # "that day", "later the same evening", "the following day": by the day dated just before
    (
        "The board will meet in Turin on Friday 14 March. The chair will brief the press that "
        "day, and the members will sign a charter on data protection the following day.",
        [
            ("Meeting of board", "meeting", "2025-03-14", "Turin", None),
            ("Press briefing", "meeting", "2025-03-14", None, "Meeting of board"),
            ("Charter on data protection", "other", "2025-03-15", None, None),
        ],
    ),
    (
        "The forum opens in Dakar on 8 April. Later the same evening, the mayor will host a "
        "reception for the delegates.",
        [
            ("Forum", "meeting", "2025-04-08", "Dakar", None),
            ("Reception for the delegates", "other", "2025-04-08", None, "Forum"),
        ],
    ),
    # "<event> will follow": just after the event named before, as a part of it
    (
        "The ministers will meet in Lima on 2 April. A press conference will follow.",
        [
            ("Meeting of ministers", "meeting", "2025-04-02", "Lima", None),
            ("Press conference", "meeting", "2025-04-02", "Lima", "Meeting of ministers"),
        ],
    ),
    # cues the first look at a sentence must not pass over: "has to", "tasked", "passes"
    (
        "Nominations have to reach the secretariat by 30 April.",
        [
            ("Deadline for Nominations", "deadline", "2025-04-30", None, None),
        ],
    ),
    (
        "The agency has to publish its review of the levy by 30 June.",
        [
            ("Publication of review of the levy", "report", "2025-03-12..2025-06-30", None,
             None),
        ],
    ),
    (
        "The ministers tasked their officials to finalise a roadmap on river basins by June.",
        [
            ("Roadmap on river basins", "other", "2025-03-12..2025-06-30", None, None),
        ],
    ),
    (
        "The chairmanship of the board passes to the Dutch delegate on 1 April.",
        [
            ("Handover of the chairmanship of the board", "other", "2025-04-01", None, None),
        ],
    ),
    # "the week commencing <day>": seven days from it
    (
        "The partners agreed to hold a workshop on seed banks in Nairobi in the week "
        "commencing 2 June.",
        [
            ("Workshop on seed banks", "meeting", "2025-06-02..2025-06-08", "Nairobi", None),
        ],
    ),
    # an obligation with a deadline, whatever its verb: what is to be done by then
    (
        "Delegations must arrange their accreditation no later than 28 March.",
        [
            ("Deadline to arrange their accreditation", "deadline", "2025-03-28", None, None),
        ],
    ),
    # a wish in a relative clause is the subject's, not a hedge on the obligation
    (
        "Journalists who wish to attend must call the press office by 20 March.",
        [
            ("Deadline to call the press office", "deadline", "2025-03-20", None, None),
        ],
    ),
    # a list of events as the subject: "A, B and C will be held"
    (
        "The annual fisheries forum, the regional ports dialogue and the shipping summit will "
        "be held in Oslo on 6-7 May.",
        [
            ("Annual fisheries forum", "meeting", "2025-05-06..2025-05-07", "Oslo", None),
            ("Regional ports dialogue", "meeting", "2025-05-06..2025-05-07", "Oslo", None),
            ("Shipping summit", "meeting", "2025-05-06..2025-05-07", "Oslo", None),
        ],
    ),
    # a deadline moved or extended to a new day ("the last day for ..." is not the past)
    (
        "The closing date for entries has been moved to 4 April.",
        [
            ("Closing date for entries", "deadline", "2025-04-04", None, None),
        ],
    ),
    (
        "The last day for public comments has been extended to 7 April.",
        [
            ("Last day for public comments", "deadline", "2025-04-07", None, None),
        ],
    ),
    # a trip's purpose: "travel to X to attend <event>" is the event, on the trip
    (
        "The minister will travel to Madrid next week to attend the Mediterranean water "
        "conference.",
        [
            ("Visit to Madrid", "visit", "2025-03-17..2025-03-23", "Madrid", None),
            ("Mediterranean water conference", "meeting", "2025-03-17..2025-03-23", "Madrid",
             "Visit to Madrid"),
        ],
    ),
    # "..., and that <event> will be held during her visit": the visit of the same sentence
    (
        "It was announced that the minister will visit Peru on 21 April, and that the Andean "
        "water council will be held during her visit.",
        [
            ("Visit to Peru", "visit", "2025-04-21", "Peru", None),
            ("Andean water council", "meeting", "2025-04-21", "Peru", "Visit to Peru"),
        ],
    ),
    # a name ends before "<participle> by": "a concert performed by ...", "a dinner given by"
    (
        "The envoy will visit Oslo on 3-4 April. She will also attend a concert performed by "
        "the national youth orchestra.",
        [
            ("Visit to Oslo", "visit", "2025-04-03..2025-04-04", "Oslo", None),
            ("Concert", "other", "2025-04-03..2025-04-04", "Oslo", "Visit to Oslo"),
        ],
    ),
    # a work to be built or completed by a date; "is meant to" as a plan
    (
        "The new terminal at the port is meant to be built by 2028.",
        [
            ("Completion of terminal at the port", "project", "2025-03-12..2028-12-31", None,
             None),
        ],
    ),
    (
        "The bypass road was built in 2019.",
        [],
    ),
    # an hour with no date ("At 10 a.m. ..."): on the day the release dated just before
    (
        "The board will meet in Turin on Friday 14 March. At 10 a.m. a charter on data "
        "protection will be signed in the town hall.",
        [
            ("Meeting of board", "meeting", "2025-03-14", "Turin", None),
            ("Charter on data protection", "other", "2025-03-14", None, None),
        ],
    ),
    # "She will also A, and she will B": the "also" is said of both parts of the visit
    (
        "The envoy will visit Oslo on 3-4 April. She will also visit a museum in Bergen, and "
        "she will call on the Mayor of Oslo.",
        [
            ("Visit to Oslo", "visit", "2025-04-03..2025-04-04", "Oslo", None),
            ("Visit to museum", "visit", "2025-04-03..2025-04-04", "museum, Bergen",
             "Visit to Oslo"),
            ("Visit to Mayor of Oslo", "visit", "2025-04-03..2025-04-04", "Mayor of Oslo",
             "Visit to Oslo"),
        ],
    ),
    # "will address the summit": an address at the summit named before
    (
        "The regional ports summit will be held in Mombasa on 6-7 May. The President of Kenya "
        "will address the summit.",
        [
            ("Regional ports summit", "meeting", "2025-05-06..2025-05-07", "Mombasa", None),
            ("Address by President of Kenya to the summit", "meeting", "2025-05-06..2025-05-07",
             "Mombasa", "Regional ports summit"),
        ],
    ),
    # each listed event's name ends with its item: "such as A in X and B in Y"
    (
        "The fisheries council has several events planned for the autumn, such as a "
        "scientific workshop in Hobart and a ministerial dialogue in Wellington.",
        [
            ("Scientific workshop", "meeting", "2025-09..2025-11", "Hobart", None),
            ("Ministerial dialogue", "meeting", "2025-09..2025-11", "Wellington", None),
        ],
    ),
    # on a visit's days, what the visitor does is part of the visit
    (
        "The foreign minister will pay an official visit to Chile on 3-5 April. The two "
        "ministers will sign a memorandum on mining cooperation in Santiago on 4 April.",
        [
            ("Visit to Chile", "visit", "2025-04-03..2025-04-05", "Chile", None),
            ("Memorandum on mining cooperation", "other", "2025-04-04", "Santiago",
             "Visit to Chile"),
        ],
    ),
    # "On the morning of <day> the ministers will meet": the subject after a part of a day
    (
        "On the morning of 9 April the energy ministers of Chile and Peru will meet in Lima.",
        [
            ("Meeting of energy ministers of Chile and Peru", "meeting", "2025-04-09", "Lima",
             None),
        ],
    ),
    # a stage of a competition is no round of talks; a public consultation is opened, not met
    # at; a dinner is an occasion, not a meeting
    (
        "The Round of 16 is scheduled for 9 April, and the final for 26 April.",
        [("Round of 16", "other", "2025-04-09", None, None)],
    ),
    (
        "The ministry plans to open a public consultation on the draft water strategy in April.",
        [("Public consultation on the draft water strategy", "launch", "2025-04", None, None)],
    ),
    (
        "The ambassador will host a dinner for the visiting delegation on 20 March.",
        [("Dinner for the visiting delegation", "other", "2025-03-20", None, None)],
    ),
    # with no cue, an event named with days still to come is one to chase; one that was to
    # be, or is past, is not
    (
        "The ministerial meeting comes ahead of the Pacific Leaders' Summit on 12 November.",
        [("Pacific Leaders' Summit", "meeting", "2025-11-12", None, None)],
    ),
    (
        "The two sides also went over the Mongolian President's visit to Russia on 6 and 7 "
        "May.",
        [("Mongolian President's visit to Russia", "visit", "2025-05-06..2025-05-07", "Russia",
          None)],
    ),
    ("The 124th session of the Council, which was to take place on 29 June, is postponed.", []),
    ("The ministers met ahead of the Pacific Leaders' Summit on 2 March.", []),
    # "It" after a sentence about a deal is the deal; "may register by" is a deadline
    (
        "The deal is expected to be ratified in June. It will enter into force on 1 July.",
        [
            ("Deal", "other", "2025-06", None, None),
            ("Entry into force of deal", "other", "2025-07-01", None, None),
        ],
    ),
    (
        "Those who wish to attend may register by sending an email to the secretariat by 14 "
        "April.",
        [("Deadline to register by sending an email to the secretariat", "deadline",
          "2025-04-14", None, None)],
    ),
    # what is put before a body is dealt with at its meeting; "they" are the documents
    (
        "A number of decisions and recommendations were taken, and they will be put before "
        "the 41st Summit of the Supreme Council of the GCC Leaders, which is scheduled to be "
        "held in December.",
        [
            ("Decisions and recommendations", "report", "2025-12", None,
             "41st Summit of the Supreme Council of the GCC Leaders"),
            ("41st Summit of the Supreme Council of the GCC Leaders", "meeting", "2025-12",
             None, None),
        ],
    ),
    # a programme's heading names the event; its days' lines are its sessions
    (
        "Provisional programme - Transport Council of 3 and 4 April 2025\n\nThursday, 3 April - "
        "Rail and road issues\n\nFriday, 4 April - Aviation issues",
        [
            ("Transport Council", "meeting", "2025-04-03..2025-04-04", None, None),
            ("Rail and road issues", "meeting", "2025-04-03", None, "Transport Council"),
            ("Aviation issues", "meeting", "2025-04-04", None, "Transport Council"),
        ],
    ),
    # "in-person" is no preposition
    (
        "The commission is to hold an in-person meeting Aug. 23-25 in Raleigh.",
        [("In-person meeting", "meeting", "2025-08-23..2025-08-25", "Raleigh", None)],
    ),
    # a presidency passed on or held from a day is handed over; whatever is signed is an
    # instrument; the day something was announced is not the day of what it announces
    (
        "Paraguay will hold that presidency from 21 December, when it takes it over from "
        "Brazil.",
        [("Handover of the presidency", "other", "2025-12-21", "Brazil", None)],
    ),
    (
        "The summit will be held on 3 and 4 July, and there the president will pass the "
        "rotating presidency to his counterpart, it was announced in Lima on Friday.",
        [
            ("Summit", "meeting", "2025-07-03..2025-07-04", None, None),
            ("Handover of the rotating presidency to his counterpart", "other",
             "2025-07-03..2025-07-04", None, "Summit"),
        ],
    ),
    (
        "By April, the setting-up of a business observatory will be signed.",
        [("Setting-up of a business observatory", "other", "2025-03-12..2025-04-30", None,
          None)],
    ),
    # what is put online is published: a report
    (
        "The board meets on 20 March. Once the meeting is over, a recording will be put online.",
        [
            ("Meeting of board", "meeting", "2025-03-20", None, None),
            ("Recording", "report", "2025-03-20..2025-03-27", None, None),
        ],
    ),
    # a visit in the present tense with days to come; the talks on its days are part of it
    (
        "This will be the basis for the talks between the Prime Minister and the Emir when "
        "the Emir visits Malaysia from 5 to 7 May.",
        [
            ("Talks between the Prime Minister and the Emir", "meeting", "2025-05-05..2025-05-07",
             None, "Visit to Malaysia"),
            ("Visit to Malaysia", "visit", "2025-05-05..2025-05-07", "Malaysia", None),
        ],
    ),
    ("The President visited Kenya on 5 March.", []),
    # taking a question up again, on a day still to come, is a meeting; the agenda is not
    (
        "The prime ministers will take up the question again in Vilnius in late March.",
        [("Meeting of the prime ministers", "meeting", "2025-03-21..2025-03-31", "Vilnius",
          None)],
    ),
    ("On Thursday the ministers will take up critical infrastructure and energy.", []),
    # whatever "is planned for" a time is to be chased
    (
        "The first payments are planned for the autumn.",
        [("First payments", "other", "2025-09..2025-11", None, None)],
    ),
    # a deadline given as a label in brackets; the extended one stands
    (
        "The meeting takes place on 24-25 October (Deadline for registration: 10 October - "
        "Extended deadline: 15 October).",
        [
            ("Meeting", "meeting", "2025-10-24..2025-10-25", None, None),
            ("Deadline for registration", "deadline", "2025-10-15", None, None),
        ],
    ),
    # the lines of a day's programme are parts of the one-day event the release announces
    (
        "A day of media briefings on the new satellite will be held in Houston on Friday, 14 "
        "March.\n\nThe schedule of briefings is:\n\n9 a.m. -- Mission overview\n\n11 a.m. -- "
        "Crew news conference",
        [
            ("Day of media briefings on the new satellite", "meeting", "2025-03-14", "Houston",
             None),
            ("Mission overview", "meeting", "2025-03-14", None,
             "Day of media briefings on the new satellite"),
            ("Crew news conference", "meeting", "2025-03-14", None,
             "Day of media briefings on the new satellite"),
        ],
    ),
]


@pytest.mark.parametrize(("text", "expected"), CONSTRUCTIONS)
def test_construction(text: str, expected: list[Row]) -> None:
    found = propose(read_release(text.encode(), "release.txt"), PUBLISHED)
    titles = {p.key: p.title for p in found}
    assert [(p.title, str(p.kind), format_window(p.window), p.location,
             titles.get(p.anchor or "", p.anchor)) for p in found] == expected


def test_every_proposal_says_where_it_comes_from() -> None:
    for text, _ in CONSTRUCTIONS:
        for proposal in propose(read_release(text.encode(), "release.txt"), PUBLISHED):
            assert proposal.sentence in " ".join(text.split())
            assert proposal.reason and 0 < proposal.confidence < 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The 24th Joint Committee was held in Beijing on 5 March 2025.",
         [("24th Joint Committee", "meeting", "2025-03-05", "Beijing")]),
        ("The two sides signed a memorandum of understanding on air quality on Monday.",
         [("Memorandum of understanding on air quality", "other", "2025-03-10", None)]),
        ("The Tripartite Policy Dialogue took place in Tokyo on 3-4 March.",
         [("Tripartite Policy Dialogue", "meeting", "2025-03-03..2025-03-04", "Tokyo")]),
        ("The annual fisheries report was published on 11 March.",
         [("Annual fisheries report", "report", "2025-03-11", None)]),
        ("On 10 March, the ministers held the fifth round of talks in Hanoi.",
         [("Fifth round of talks", "meeting", "2025-03-10", "Hanoi")]),
        # plans, hopes, conditions and reports without a day are not reports of it done
        ("The 25th Joint Committee will be held in Seoul on 5 May.", []),
        ("The summit was expected to be held on 3 March.", []),
        ("The summit was not held on 3 March as planned.", []),
        ("The 24th Joint Committee was held in Beijing.", []),
        ("The ministers discussed the outcome of the summit held in 2019.", []),
    ],
)
def test_what_a_release_reports_done(text: str,
                                     expected: list[tuple[str, str, str, str | None]]) -> None:
    from events.outcomes import reported_done

    found = reported_done(read_release(text.encode(), "release.txt"), PUBLISHED)
    assert [(p.title, str(p.kind), format_window(p.window), p.location) for p in found] \
        == expected
    assert all(p.done and p.sentence == text for p in found)


@pytest.mark.parametrize(
    ("window", "which", "expected"),
    [
        ("2019-06-03..2019-06-05", "second", "2019-06-04"),
        ("2019-06-03..2019-06-05", "closing", "2019-06-05"),
        ("2019-06-03..2019-06-04", "third", "2019-06-04"),  # no third day: the last
        # an event open at its end ("from June on") has a first day and no last one
        ("2019-06..", "second", "2019-06-02"),
        ("2019-06..", "last", "2019-06.."),
        ("undated", "opening", "undated"),
    ],
)
def test_a_day_of_an_event_s_days(window: str, which: str, expected: str) -> None:
    from events.extract import _day_of
    from events.window import format_window, parse_window

    assert format_window(_day_of(parse_window(window), which)) == expected
