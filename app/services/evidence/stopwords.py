"""English words too common to say anything in a word cloud (a small list, kept short on
purpose: words like "care", "support" or "staff" are what a café talks about and stay)."""

from __future__ import annotations

ENGLISH = frozenset(
    """
    a about above after again against all also am an and any are aren't as at be because
    been before being below between both but by can can't cannot could couldn't did didn't
    do does doesn't doing don't down during each even ever every few for from further get
    gets getting got had hadn't has hasn't have haven't having he he'd he'll he's her here
    here's hers herself him himself his how how's however i i'd i'll i'm i've if in into is
    isn't it it's its itself just let's like lot lots make makes many may me might more most
    much must mustn't my myself need needs no nor not now of off often on once one only or
    other ought our ours ourselves out over own really same say says shan't she she'd she'll
    she's should shouldn't so some such than that that's the their theirs them themselves
    then there there's these they they'd they'll they're they've thing things think this
    those though through to too under until up upon us very want was wasn't way we we'd we'll
    we're we've well were weren't what what's when when's where where's which while who
    who's whom why why's will with won't would wouldn't yes yet you you'd you'll you're
    you've your yours yourself yourselves
    """.split()
)
