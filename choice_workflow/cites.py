"""The Act's provisions that the library cites, as REQUIREMENTS.md writes them.

Errors, findings, tests (``@pytest.mark.cite(...)``) and docs use these exact strings,
so that a plain text search connects the law, the code and the tests.
"""

from __future__ import annotations

from types import MappingProxyType

CITES: MappingProxyType[str, str] = MappingProxyType(
    {
        "99": "The Act takes effect January 1, 2030.",
        "15(a)": "Grants subject to appropriation, on and after July 1, 2030.",
        '10 "Eligible employer"': "An employer as defined in Section 3 of the Minimum Wage Law.",
        "10(1)": "Holds a 14(c) certificate and the State authorizations (MWL 5 and 10).",
        "10(2)": "Is not currently funded as a community rehabilitation program under DHS.",
        "10(3)": "Has not already received a grant under Section 15.",
        "15(g)": "An employer may only be awarded one grant.",
        "10(4)": "Willing and able to consent to transitioning to minimum wage.",
        '10 "Competitive employment"': "At or above minimum wage and the customary wage and benefits.",
        '10 "Disability"': "ADA disability: developmental, mental illness, physical, or a combination.",
        '10 "Integrated setting"': "Community settings; also supported and customized employment, etc.",
        "15(m)": "After transition the holder may still be considered 14(c) certified.",
        "25": "Nothing affects the validity of 14(c) certificate holders.",
        "30": "Home rule units may not regulate 14(c) certificates.",
        "15(b)": "An eligible employer applies with the contents of 15(b)(1)-(14).",
        "15(b)(1)": "Employees under a 14(c) certificate, with demographics.",
        "15(b)(2)": "Employees without a registered disability paid a 14(c) subminimum wage.",
        "15(b)(3)": "Hourly wages of 14(c) employees in the previous year.",
        "15(b)(4)": "Hourly wages of all employees in the previous year.",
        "15(b)(5)": "Employees with a disability below minimum or customary wage, 5 fiscal years.",
        "15(b)(6)": "Transitions to competitive integrated employment, 5 fiscal years.",
        "15(b)(7)": "Business model: integrated settings, budget and funding, HR structure.",
        "15(b)(8)": "Activities and goals of the grant (A)-(G).",
        "15(b)(9)": "Quarterly timeline over the 3-year grant period.",
        "15(b)(10)": "Coordination with State programs, agencies and funding.",
        "15(b)(11)": "Assurances (A)-(E).",
        "15(b)(11)(C)": "Assurance that the application submitted is accurate and truthful.",
        "15(b)(12)": "Assurances of collaboration from State entities.",
        "15(b)(13)": "Date the minimum wage will be fully implemented.",
        "15(b)(14)": "Other information the Director requires.",
        "15(h)": "Amount at least $10,000 and at most $50,000.",
        "15(f)": "3-year grant period; 2 grant cycles; the second not before year 2 ends.",
        "15(d)": "Equitable distribution among geographic areas, rural and urban.",
        "15(e)": "Equitable distribution among employers serving different numbers.",
        "15(i)": "On confirmation of approval, transition may begin in a window around it.",
        "15(j)": "Accept within 48 hours, else the grant goes to the next applicant.",
        "(k)": "The bill has no subsection (k).",
        "15(l)": "Phase-out of the subminimum wage: the 60/70/80/90% floors.",
        "15(a)(1)": "Grantees pay at or above the federal minimum wage.",
        "15(a)(2)": "Grantees provide the benefit package afforded to all employees.",
        "15(c)": "Standard level work performance: task, mental and physical break durations.",
        "20(a)(1)": "Evaluation of changes in wages and employment.",
        "20(a)(2)": "Evaluation of actions taken to comply with Section 15.",
        "20(b)": "Final report within 18 months of the effective date.",
        "35(a)": "Task Force purposes.",
        "35(b)": "Task Force membership.",
        "35(c)": "Task Force progress report each year.",
        "90": "The Department provides technical assistance (MWL 5(b)).",
        "2 CFR 200.334": "Records kept 3 years from the final expenditure report; longer "
        "under litigation or audit (applied to State grants by 30 ILCS 708).",
    }
)
"""Every cite of REQUIREMENTS.md, mapped to a one-line summary."""


def is_known(cite: str) -> bool:
    """True when ``cite`` is one of :data:`CITES`."""
    return cite in CITES
