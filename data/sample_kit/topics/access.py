"""Sign-in, single sign-on and security articles."""

from __future__ import annotations

from ..corpus import Corpus


def login(c: Corpus) -> None:
    c.add(
        "login/reset-web",
        "Reset your password on the web",
        "On the sign-in page click Forgot password and enter your email. We send a reset link "
        "that is valid for [one hour|60 minutes]. After you choose a new password, every other "
        "device is signed out.",
    )
    c.add(
        "login/reset-ios",
        "Reset your password on iPhone or iPad",
        "In the iOS app tap Sign in, then Forgot password. The reset link opens in Safari; once "
        "you've set a new password, return to the app and sign in. [If the email doesn't arrive, "
        "check your spam folder.|Didn't get the email? Look in spam or promotions.]",
    )
    c.add(
        "login/reset-android",
        "Reset your password on Android",
        "On Android, tap Trouble signing in? on the login screen and choose Reset password. The "
        "email link opens in your default browser. [Some Android mail apps open links in an "
        "in-app browser; if the page won't load, copy the link into Chrome.|If your mail app's "
        "built-in browser fails, paste the link into Chrome.]",
    )
    c.add(
        "login/reset-sso",
        "Resetting your password when SSO is turned on",
        "If your workspace signs in through SSO, Lumio doesn't store a password for you, so the "
        "Forgot password link won't help. [Reset it with your company's identity provider|Change "
        "your password in Okta, Entra ID or whatever your company uses], or ask your IT "
        "helpdesk.",
    )
    c.add(
        "login/change-password",
        "Change your password",
        "While signed in, go to Settings > Account > Password, enter your current password and "
        "then the new one. [Passwords need at least 10 characters.|The minimum length is 10 "
        "characters.] You'll stay signed in on this device; others will be signed out.",
    )
    c.add(
        "login/change-email",
        "Change the email address on your account",
        "Go to Settings > Account > Email and enter the new address. We send a confirmation to "
        "both addresses, and the change takes effect once you click the link in the new one. "
        "[Accounts managed by SSO|If your account is managed through SSO, it] can only be "
        "changed by an admin.",
    )
    c.add(
        "login/2fa-setup",
        "Turn on two-factor authentication",
        "Open Settings > Account > Two-factor authentication and scan the QR code with an "
        "authenticator app such as 1Password, Google Authenticator or Authy. [Save the ten "
        "recovery codes somewhere safe;|Store the recovery codes you're shown;] they are the only "
        "way in if you lose your phone.",
    )
    c.add(
        "login/2fa-recovery",
        "Sign in with a 2FA recovery code",
        "On the verification screen click Use a recovery code and enter one of the codes you "
        "saved when you set up two-factor authentication. Each code works once. [Afterwards, set "
        "up 2FA on your new device and generate fresh codes.|Then re-enrol your authenticator and "
        "create a new set of codes.]",
    )
    c.add(
        "login/2fa-lost",
        "Lost your phone and your recovery codes",
        "Without your authenticator or a recovery code, support has to verify your identity "
        "before removing two-factor authentication. [This takes three to five business days.|"
        "Expect the check to take 3-5 business days.] Workspace admins on Business and "
        "Enterprise can reset 2FA for members right away.",
    )
    c.add(
        "login/2fa-require",
        "Require two-factor authentication for all members",
        "Admins can make 2FA mandatory under Admin console > Security > Two-factor. Members "
        "without it are asked to set it up at their next sign-in [and can't open the workspace "
        "until they do.|and are blocked until they have.] Accounts that sign in with SSO are "
        "exempt.",
    )
    c.add(
        "login/magic-link",
        "Sign in with an email code instead of a password",
        "On the sign-in page choose Email me a code. We send a six-digit code that is valid for "
        "ten minutes. [It's handy on shared computers where you don't want to type a "
        "password.|This works on any device and doesn't require you to remember a password.]",
    )
    c.add(
        "login/google-apple",
        "Sign in with Google or Apple",
        "You can create a Lumio account with Continue with Google or Continue with Apple. If you "
        "chose Hide my email with Apple, your Lumio address is the private relay address, [so "
        "invites must be sent there.|which teammates need when they invite you.]",
    )
    c.add(
        "login/safari-loop",
        "Stuck in a sign-in loop in Safari",
        "If Safari keeps returning you to the sign-in page, its tracking prevention is blocking "
        "Lumio's login cookie. Allow cookies for lumio.app or turn off Prevent cross-site "
        "tracking for the site, [then reload.|and sign in again.] The desktop app isn't affected.",
    )


def sso(c: Corpus) -> None:
    steps = {
        "okta": ("Okta", "add the Lumio app from the Okta Integration Network"),
        "entra": ("Microsoft Entra ID", "create an enterprise application from the gallery"),
        "google": ("Google Workspace", "add a custom SAML app in the Google Admin console"),
        "onelogin": ("OneLogin", "add Lumio from the OneLogin app catalog"),
    }
    for slug, (idp, how) in steps.items():
        c.add(
            f"sso/setup-{slug}",
            f"Set up SAML single sign-on with {idp}",
            f"In {idp}, {how} and copy the metadata URL. In Lumio open Admin console > Security "
            "> SSO, choose SAML and paste the URL. [Test the connection with your own account "
            "before turning it on for everyone.|Use Test sign-in with your own account first.] "
            "SAML SSO is available on Business and Enterprise.",
        )
    c.add(
        "sso/setup-generic",
        "Connect any SAML 2.0 identity provider",
        "Any provider that supports SAML 2.0 works. Give it Lumio's ACS URL and entity ID from "
        "Admin console > Security > SSO, then upload its metadata XML or enter the SSO URL and "
        "signing certificate by hand. [Map the email attribute to NameID.|Lumio expects the "
        "user's email address as the NameID.]",
    )
    c.add(
        "sso/enforce",
        "Require SSO for every member",
        "On Enterprise, admins can switch on Require SSO under Admin console > Security > SSO. "
        "After that, password and Google sign-in are disabled for everyone with an email on your "
        "verified domains, and [existing sessions end within an hour.|current sessions are "
        "signed out within 60 minutes.]",
    )
    c.add(
        "sso/bypass",
        "Keep an emergency sign-in when SSO is required",
        "When SSO is enforced, workspace owners can still sign in with a password and 2FA so "
        "they aren't locked out if the identity provider goes down. [Admins can turn this bypass "
        "off, but we recommend keeping it for at least one owner.|We recommend leaving this "
        "enabled for at least one owner.]",
    )
    c.add(
        "sso/domain",
        "Verify your company's email domain",
        "Before enforcing SSO or capturing accounts, prove you own the domain. In Admin console "
        "> Settings > Domains, add the domain and create the TXT record we show at your DNS "
        "provider. [Verification usually completes within an hour.|It usually takes less than an "
        "hour for DNS to update.]",
    )
    for slug, idp in (("okta", "Okta"), ("entra", "Microsoft Entra ID")):
        c.add(
            f"sso/scim-{slug}",
            f"Automatic user provisioning with {idp} (SCIM)",
            f"With SCIM, users you assign in {idp} get a Lumio account automatically and are "
            "deactivated when you unassign them. Generate a token in Admin console > Security > "
            f"SCIM and enter it with the base URL in {idp}'s provisioning tab. [Groups sync as "
            "Lumio teams.|Group pushes become Lumio teams.] SCIM requires Enterprise.",
        )
    c.add(
        "sso/jit",
        "Just-in-time account creation with SSO",
        "Without SCIM, Lumio can create accounts the first time someone signs in through SSO. "
        "Turn on Just-in-time provisioning in the SSO settings and choose the default role. "
        "[Just-in-time provisioning never removes users; deactivate leavers by hand.|Leavers are "
        "not removed automatically, so deactivate them yourself.]",
    )
    c.add(
        "sso/disable",
        "What happens if you turn SSO off",
        "Members keep their accounts and content. The next time they sign in they'll be asked "
        "to set a password through an emailed link. [Turning SSO off also ends SCIM "
        "provisioning.|SCIM provisioning stops as well.]",
    )
    c.add(
        "sso/plans",
        "Which plans include SSO?",
        "SAML single sign-on is included in Business and Enterprise. Enforcing SSO for all "
        "members, SCIM provisioning and the owner bypass setting are Enterprise only. Free and "
        "Plus workspaces can use Sign in with Google [but cannot require it.|without a way to "
        "make it mandatory.]",
    )


def security(c: Corpus) -> None:
    c.add(
        "sec/encryption",
        "How Lumio encrypts your data",
        "Data is encrypted in transit with TLS 1.2 or later and at rest with AES-256. "
        "Encryption keys are managed in a dedicated key management service [and rotated "
        "yearly.|and rotated every year.]",
    )
    c.add(
        "sec/locked-pages",
        "End-to-end encrypted Locked pages",
        "A Locked page is encrypted on your device with a passphrase that we never see. If "
        "you forget the passphrase the content can't be recovered, [not even by support.|and "
        "support cannot help.] Locked pages aren't searchable and can't be shared.",
    )
    c.add(
        "sec/soc2",
        "SOC 2 report",
        "Lumio has a SOC 2 Type II report covering security and availability, renewed every "
        "year. [Customers on Business and Enterprise can request it under NDA from the trust "
        "centre.|Business and Enterprise customers can download it from trust.lumio.app after "
        "signing an NDA.]",
    )
    c.add(
        "sec/gdpr",
        "GDPR and the data processing agreement",
        "Lumio acts as a processor for workspace content. Our DPA, including the EU Standard "
        "Contractual Clauses, is part of the terms of service [for every paid plan.|on all paid "
        "plans,] and can be countersigned from the admin console.",
    )
    c.add(
        "sec/residency",
        "Choose where your data is stored",
        "Enterprise workspaces can choose to keep content in the EU (Frankfurt) or the US "
        "(Oregon). [The region is set when the workspace is created; moving it later is a "
        "migration handled by support.|Changing region later requires a support-assisted "
        "migration.] Other plans are hosted in the US.",
    )
    c.add(
        "sec/hipaa",
        "Is Lumio HIPAA compliant?",
        "No. Lumio does not sign business associate agreements, [so please don't store protected "
        "health information in it.|and it shouldn't be used for protected health "
        "information.] Healthcare teams often use it for non-clinical work such as rotas.",
    )
    c.add(
        "sec/backups",
        "Backups and disaster recovery",
        "We back up all data every hour to a second region and keep backups for 35 days. "
        "[Backups are for disaster recovery; to restore a single page, use page history or the "
        "trash.|Individual pages can't be restored from backups, use history or the trash.]",
    )
    c.add(
        "sec/bugbounty",
        "Report a security vulnerability",
        "Email security@lumio.app or submit through our bug bounty programme. [We respond within "
        "two business days|You'll get an answer within 48 hours on working days] and ask that "
        "you don't disclose the issue publicly until it's fixed.",
    )
    c.add(
        "sec/subprocessors",
        "Subprocessors",
        "The current list of companies that process data for Lumio, such as our cloud host and "
        "email provider, is at lumio.app/subprocessors. [Admins can subscribe to be emailed "
        "before changes.|Subscribe there to hear about changes 30 days in advance.]",
    )
    c.add(
        "sec/ai-training",
        "Is my content used to train AI models?",
        "No. Content in your workspace is never used to train AI models, ours or a partner's. "
        "[Lumio Assist sends only the text you select to the model provider, which deletes it "
        "after processing.|When you use Lumio Assist, only the selected text is sent and it "
        "isn't retained.]",
    )
