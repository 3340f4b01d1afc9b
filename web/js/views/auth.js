// Sign in and registration: one form, two buttons (Enter signs in).

import { api } from '../api.js';
import { field, h } from '../dom.js';
import { submitting } from '../forms.js';

export function mount(root, ctx) {
  const email = h('input', { type: 'email', autocomplete: 'email', required: true, testid: 'auth-email' });
  const password = h('input', {
    type: 'password',
    autocomplete: 'current-password',
    required: true,
    minlength: '8',
    testid: 'auth-password',
  });
  const form = h(
    'form',
    { testid: 'auth-form', novalidate: true },
    field('Email', email, { name: 'email' }),
    field('Password', password, { name: 'password', hint: 'At least 8 characters.' }),
    h('p', { class: 'form-error', role: 'alert', testid: 'auth-error', dataset: { errorFor: '' } }),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', class: 'button', value: 'login', testid: 'login' }, 'Sign in'),
      h('button', { type: 'submit', class: 'button button-secondary', value: 'register', testid: 'register' }, 'Create account'),
    ),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const action = event.submitter?.value === 'register' ? 'register' : 'login';
    submitting(form, async () => {
      const answer = await api('POST', `/auth/${action}`, { email: email.value.trim(), password: password.value });
      ctx.signedIn(answer);
    });
  });
  root.append(
    h(
      'section',
      { class: 'card auth', testid: 'auth-view', 'aria-labelledby': 'auth-title' },
      h('h1', { id: 'auth-title' }, 'Sign in'),
      h('p', { class: 'lead' }, 'Describe a project in a few sentences; a team of AI agents plans, writes and reviews it, and you get a git repository.'),
      form,
    ),
  );
  email.focus();
}
