import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { get, post, session } from './api.js';
import type { Me, User } from './types.js';

interface AuthState {
  me: Me | null;
  /** True until the stored token (if any) has been checked. */
  loading: boolean;
  login(email: string, password: string): Promise<User>;
  logout(): Promise<void>;
}

const AuthContext = createContext<AuthState | null>(null);

/** Tokens live 15 minutes; the UI renews its token well before that while the tab is open. */
const REFRESH_EVERY_MS = 5 * 60_000;

export function AuthProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null>(null);
  const [loading, setLoading] = useState(Boolean(session.token));

  const loadMe = useCallback(async () => {
    if (!session.token) {
      setMe(null);
      setLoading(false);
      return;
    }
    try {
      setMe(await get<Me>('/api/auth/me'));
    } catch {
      session.set(null);
      setMe(null);
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void loadMe();
    // Another tab logged in or out, or a 401 cleared the token.
    const onStorage = (event: StorageEvent) => event.key === 'piper.token' && void loadMe();
    window.addEventListener('storage', onStorage);
    const unsubscribe = session.subscribe((token) => {
      if (!token) setMe(null);
    });
    return () => {
      window.removeEventListener('storage', onStorage);
      unsubscribe();
    };
  }, [loadMe]);

  useEffect(() => {
    if (!me) return;
    const timer = setInterval(() => {
      post<{ token: string }>('/api/auth/refresh')
        .then(({ token }) => session.set(token))
        .catch(() => undefined);
    }, REFRESH_EVERY_MS);
    return () => clearInterval(timer);
  }, [me]);

  const value = useMemo<AuthState>(
    () => ({
      me,
      loading,
      async login(email, password) {
        const { token } = await post<{ token: string; user: User }>('/api/auth/login', { email, password });
        session.set(token);
        const next = await get<Me>('/api/auth/me');
        setMe(next);
        return next.user!;
      },
      async logout() {
        await post('/api/auth/logout').catch(() => undefined);
        session.set(null);
        setMe(null);
      },
    }),
    [me, loading],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error('useAuth outside AuthProvider');
  return auth;
}

/** The signed-in user; only used below a route guard. */
export function useUser(): User {
  const { me } = useAuth();
  if (!me?.user) throw new Error('useUser without a signed-in user');
  return me.user;
}

/** Where each role starts. */
export function homeOf(user: User): string {
  return user.role === 'admin' ? '/admin' : user.role === 'manager' ? '/manager' : '/client';
}
