package service

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"strconv"
	"time"

	sb "github.com/switchboard/switchboard"
	"github.com/switchboard/switchboard/internal/notify"
	"github.com/switchboard/switchboard/internal/store"
)

// Lifecycle limits.
const (
	DeviceTokenTTL     = 24 * time.Hour
	MaxTokensPerDevice = 3
	CodeTTL            = 30 * time.Minute
	MaxCodeAttempts    = 5
)

// Code purposes.
const (
	purposeActivateEmail = "activate_email"
	purposeActivatePhone = "activate_phone"
	purposeEmailChange   = "email_change"
	purposePhoneChange   = "phone_change"
)

// Delivery is how codes and tokens reach people and devices.
type Delivery struct {
	Mailer notify.Mailer
	SMS    notify.SMSSender
	Push   notify.Pusher
}

// PushProviders are the pn_provider values the API accepts.
var PushProviders = []string{"apns", "apns.dev", "fcm"}

// keyed digests a token or code with a key derived from the server key, so a
// database dump alone cannot test guesses.
func (s *Service) keyed(kind, value string) (string, error) {
	m := hmac.New(sha256.New, s.seal.Derive("one-time "+kind))
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil)), nil
}

// newCode makes a 6-digit code.
func newCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// issueCode stores a new code for an account and purpose and returns it.
func (s *Service) issueCode(ctx context.Context, accountID int64, purpose, target string) (string, error) {
	code := newCode()
	hash, err := s.keyed("code", strconv.FormatInt(accountID, 10)+":"+purpose+":"+code)
	if err != nil {
		return "", err
	}
	now := s.now()
	err = s.store.InTx(ctx, func(tx *store.Tx) error {
		return tx.PutCode(ctx, store.Code{AccountID: accountID, Purpose: purpose, CodeHash: hash, Target: target,
			ExpiresAt: now.Add(CodeTTL)}, now)
	})
	return code, err
}

// sendActivationCodes sends an unactivated account its codes by email and
// SMS. Delivery failures are logged: the admin can resend or activate.
func (s *Service) sendActivationCodes(ctx context.Context, a *sb.Account) {
	if a.ContactEmail != "" {
		if err := s.sendEmailCode(ctx, a, purposeActivateEmail, a.ContactEmail,
			"Activate your account "+a.Email,
			"Your activation code for %s is: %s\n\nIt is valid for 30 minutes.\n"); err != nil {
			s.log.Error("activation email failed", "account_id", a.ID, "err", err)
		}
	}
	if a.Phone != "" {
		if err := s.sendSMSCode(ctx, a, purposeActivatePhone, a.Phone, "Your activation code for %s is %s"); err != nil {
			s.log.Error("activation SMS failed", "account_id", a.ID, "err", err)
		}
	}
}

func (s *Service) sendEmailCode(ctx context.Context, a *sb.Account, purpose, to, subject, body string) error {
	if s.delivery.Mailer == nil {
		return sb.Errorf(sb.EUNAVAILABLE, "Email is not configured.")
	}
	code, err := s.issueCode(ctx, a.ID, purpose, to)
	if err != nil {
		return err
	}
	if err := s.delivery.Mailer.Send(ctx, notify.Mail{To: to, Subject: subject, Body: fmt.Sprintf(body, a.Email, code)}); err != nil {
		return &sb.Error{Code: sb.EUNAVAILABLE, Message: "The email could not be sent.", Err: err}
	}
	return nil
}

func (s *Service) sendSMSCode(ctx context.Context, a *sb.Account, purpose, to, text string) error {
	if s.delivery.SMS == nil {
		return sb.Errorf(sb.EUNAVAILABLE, "SMS is not configured.")
	}
	code, err := s.issueCode(ctx, a.ID, purpose, to)
	if err != nil {
		return err
	}
	if err := s.delivery.SMS.SendSMS(ctx, to, fmt.Sprintf(text, a.Email, code)); err != nil {
		return &sb.Error{Code: sb.EUNAVAILABLE, Message: "The SMS could not be sent.", Err: err}
	}
	return nil
}

// errWrongCode is the one answer to an unknown account and a wrong code.
var errWrongCode = sb.Errorf(sb.ENOTFOUND, "The account does not exist or the code is not correct.")

// checkCode verifies a code in tx, counting wrong guesses: after
// MaxCodeAttempts the code is dead. It returns the code's target. Callers
// run it under guard, with the account's bucket.
func (s *Service) checkCode(ctx context.Context, tx *store.Tx, a *sb.Account, purpose, code string) (string, error) {
	c, err := tx.PendingCode(ctx, a.ID, purpose, s.now())
	if sb.ErrorCode(err) == sb.ENOTFOUND {
		return "", errWrongCode
	}
	if err != nil {
		return "", err
	}
	want, err := s.keyed("code", strconv.FormatInt(a.ID, 10)+":"+purpose+":"+code)
	if err != nil {
		return "", err
	}
	if c.Attempts >= MaxCodeAttempts || !hmac.Equal([]byte(want), []byte(c.CodeHash)) {
		if err := tx.CountCodeAttempt(ctx, a.ID, purpose); err != nil {
			return "", err
		}
		return "", errWrongCode
	}
	return c.Target, tx.DeleteCode(ctx, a.ID, purpose)
}

// ActivateWithCode activates an account with the code sent by email
// (channel "email") or SMS ("phone"): 404 for an unknown account or a wrong
// code alike, 403 after the account's confirmation_key_expires.
func (s *Service) ActivateWithCode(ctx context.Context, sip, channel, code, ip string) (*sb.Account, error) {
	purpose := purposeActivateEmail
	if channel == "phone" {
		purpose = purposeActivatePhone
	}
	local, domain, perr := ParseSIPAddress("sip", sip)
	identity := ""
	if perr == nil {
		identity = mailboxIdentity(local + "@" + domain)
	}
	var out *sb.Account
	err := s.guard(ctx, identity, ip, func() (bool, error) {
		if perr != nil {
			return true, errWrongCode
		}
		var wrong bool
		err := s.store.InTx(ctx, func(tx *store.Tx) error {
			a, _, err := tx.AccountByEmail(ctx, local+"@"+domain)
			if sb.ErrorCode(err) == sb.ENOTFOUND {
				wrong = true
				return errWrongCode
			}
			if err != nil {
				return err
			}
			if _, exp, err := tx.AccountConfirmation(ctx, a.ID); err != nil {
				return err
			} else if !exp.IsZero() && s.now().After(exp) {
				return sb.Errorf(sb.EFORBIDDEN, "The confirmation key has expired.")
			}
			if _, err := s.checkCode(ctx, tx, a, purpose, code); err != nil {
				if err == errWrongCode {
					wrong = true // keep the attempt count: commit, then refuse
					return nil
				}
				return err
			}
			now := s.now()
			if err := tx.SetAccountFlags(ctx, a.ID, true, a.Admin, now); err != nil {
				return err
			}
			a.Activated, a.UpdatedAt = true, now
			out = a
			return tx.Audit(ctx, now, accountActor(a).String(), "account.activate."+channel, "account:"+a.Email)
		})
		if err == nil && wrong {
			return true, errWrongCode
		}
		return wrong, err
	})
	return out, err
}

// RequestEmailChange sends a code to a new address; the change happens when
// ConfirmEmailChange gets it.
func (s *Service) RequestEmailChange(ctx context.Context, actor sb.Actor, email string) error {
	l, d, err := NormalizeEmail("email", email)
	if err != nil {
		return err
	}
	a, err := s.SIPAccount(ctx, actor)
	if err != nil {
		return err
	}
	return s.sendEmailCode(ctx, a, purposeEmailChange, l+"@"+d, "Confirm your new email address",
		"To use this address for %s, enter the code: %s\n\nIt is valid for 30 minutes. If you did not ask for this, ignore this message.\n")
}

// RequestPhoneChange sends a code by SMS to a new number.
func (s *Service) RequestPhoneChange(ctx context.Context, actor sb.Actor, phone string) error {
	if !validE164(phone) {
		return sb.FieldError("phone", "The phone must be an E.164 number, e.g. +33612345678.")
	}
	a, err := s.SIPAccount(ctx, actor)
	if err != nil {
		return err
	}
	return s.sendSMSCode(ctx, a, purposePhoneChange, phone, "The code to use this number for %s is %s")
}

// ConfirmContactChange applies a pending email ("email") or phone ("phone")
// change with its code.
func (s *Service) ConfirmContactChange(ctx context.Context, actor sb.Actor, channel, code, ip string) (*sb.Account, error) {
	purpose := purposeEmailChange
	if channel == "phone" {
		purpose = purposePhoneChange
	}
	var out *sb.Account
	err := s.guard(ctx, mailboxIdentity(actor.Email), ip, func() (bool, error) {
		var wrong bool
		err := s.store.InTx(ctx, func(tx *store.Tx) error {
			a, err := tx.AccountByID(ctx, actor.AccountID)
			if err != nil {
				return err
			}
			target, err := s.checkCode(ctx, tx, a, purpose, code)
			if err == errWrongCode {
				wrong = true // keep the attempt count: commit, then refuse
				return nil
			}
			if err != nil {
				return err
			}
			email, phone := a.ContactEmail, a.Phone
			if channel == "phone" {
				phone = target
			} else {
				email = target
			}
			now := s.now()
			if err := tx.SetAccountContact(ctx, a.ID, email, phone, now); err != nil {
				return err
			}
			a.ContactEmail, a.Phone, a.UpdatedAt = email, phone, now
			out = a
			return tx.Audit(ctx, now, actor.String(), "account."+channel+".change", "account:"+a.Email)
		})
		if err == nil && wrong {
			return true, sb.FieldError("code", "The code is not correct.")
		}
		return false, err
	})
	return out, err
}
